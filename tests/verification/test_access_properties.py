"""Property tests for the one permission check, can(): roles, token scopes and library scopes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reelhouse.domain.access import (
    ADMIN_ACTIONS,
    Action,
    Actor,
    LibraryScope,
    Role,
    TokenScope,
    UserPermissions,
    can,
)
from reelhouse.domain.ids import LibraryId, UserId

FAST = settings(max_examples=300, deadline=None)
library_ids = st.sampled_from([LibraryId(x) for x in ("lib-a", "lib-b", "lib-c")])


@st.composite
def actors(draw: st.DrawFn) -> Actor:
    return Actor(
        user_id=UserId("u1"),
        username="someone",
        role=draw(st.sampled_from(list(Role))),
        scope=LibraryScope(
            user_id=UserId("u1"),
            all_libraries=draw(st.booleans()),
            library_ids=frozenset(draw(st.sets(library_ids))),
        ),
        permissions=UserPermissions(may_download=draw(st.booleans()), may_transcode=draw(st.booleans())),
        token_scopes=frozenset(draw(st.sets(st.sampled_from(list(TokenScope))))),
    )


# can() --------------------------------------------------------------------------------------
@FAST
@given(actors(), st.sampled_from(sorted(ADMIN_ACTIONS)), st.one_of(st.none(), library_ids))
def test_only_admins_with_an_admin_scoped_token_may_administer(
    actor: Actor, action: Action, library: LibraryId | None
) -> None:
    allowed = can(actor, action, library)
    assert allowed == (actor.role in (Role.OWNER, Role.ADMIN) and TokenScope.ADMIN in actor.token_scopes)


@FAST
@given(actors(), st.sampled_from(list(Action)), library_ids)
def test_nobody_reaches_a_library_outside_their_scope(
    actor: Actor, action: Action, library: LibraryId
) -> None:
    if action in ADMIN_ACTIONS:
        return
    if not actor.scope.all_libraries and library not in actor.scope.library_ids:
        assert not can(actor, action, library)


@FAST
@given(
    actors(),
    st.sampled_from(list(Action)),
    st.one_of(st.none(), library_ids),
    st.sampled_from(list(TokenScope)),
)
def test_taking_a_scope_away_from_a_token_never_grants_more(
    actor: Actor, action: Action, library: LibraryId | None, dropped: TokenScope
) -> None:
    narrower = Actor(
        actor.user_id,
        actor.username,
        actor.role,
        actor.scope,
        actor.permissions,
        actor.token_scopes - {dropped},
    )
    assert not (can(narrower, action, library) and not can(actor, action, library))


@FAST
@given(actors(), st.one_of(st.none(), library_ids))
def test_download_needs_an_admin_or_the_grant(actor: Actor, library: LibraryId | None) -> None:
    if can(actor, Action.DOWNLOAD, library):
        assert actor.is_admin or actor.permissions.may_download
