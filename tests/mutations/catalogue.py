"""The security mutations: each removes or inverts one check, and names the tests that must notice.

`./scripts/test --mutations` applies them one at a time to a scratch copy (tests/mutations/run.py). A snippet
must occur exactly once in its file, so a refactor that moves a check fails the runner (and
tests/verification/test_mutations_catalogue.py) instead of silently disabling its mutation."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutation:
    id: str
    description: str
    # Relative to the repository root.
    path: str
    # Exact text of the current source, found exactly once in `path`, and what it becomes.
    snippet: str
    replacement: str
    # Test files or node ids (relative to the repository root) of which at least one must fail.
    tests: tuple[str, ...]


SRC = "src/reelhouse/"
_CATALOGUE = SRC + "persistence/catalogue.py"
_GRANTS = SRC + "services/media_grants.py"
_ACCESS = SRC + "services/media_access.py"
_MIDDLEWARE = SRC + "web/middleware.py"
_NETWORK = SRC + "domain/network.py"
_GATE = SRC + "web/gate.py"
_ACCOUNTS = SRC + "services/accounts.py"
_FILES = SRC + "services/media_files.py"
_TOKENS = SRC + "services/tokens.py"

MUTATIONS: tuple[Mutation, ...] = (
    Mutation(
        "scope-library",
        "the catalogue scope clause forgets which libraries a viewer was granted",
        _CATALOGUE,
        "        clauses.append(library.in_(sorted(scope.library_ids)))\n",
        "        pass\n",
        (
            "tests/accounts/test_enforcement.py::test_the_library_grant_alone_hides_an_ungranted_librarys_items",
        ),
    ),
    Mutation(
        "scope-rating",
        "the rating cap is not added to the scope clause",
        _CATALOGUE,
        "        clauses.append(allowed)\n",
        "        pass\n",
        ("tests/accounts/test_enforcement.py::test_browse_applies_rating_unrated_and_label_filters",),
    ),
    Mutation(
        "scope-hide-unrated",
        "hide_unrated no longer hides unrated items",
        _CATALOGUE,
        "        clauses.append(items.c.rating_rank.is_not(None))\n",
        "        pass\n",
        (
            "tests/accounts/test_enforcement.py::test_hide_unrated_alone_hides_unrated_items_in_uncapped_libraries",
        ),
    ),
    Mutation(
        "scope-blocked-labels",
        "blocked labels (tags) are not filtered out",
        _CATALOGUE,
        "        clauses.append(or_(clear, not_(_tagged(scope.blocked_labels))) if shared else clear)\n",
        "        pass\n",
        ("tests/accounts/test_enforcement.py::test_browse_applies_rating_unrated_and_label_filters",),
    ),
    Mutation(
        "scope-allowed-labels",
        "an allowed-labels grant shows items without those labels",
        _CATALOGUE,
        "        clauses.append(and_(items.c.label_mask.bitwise_and(bits) != 0, _tagged(scope.allowed_labels)))\n",
        "        pass\n",
        ("tests/accounts/test_enforcement.py::test_allowed_labels_show_only_labelled_items",),
    ),
    Mutation(
        "grant-mac",
        "a media grant's HMAC is not checked",
        _GRANTS,
        "        if not hmac.compare_digest(mac.encode(), self._mac(payload).encode()):\n",
        "        if False:\n",
        ("tests/playback/test_access.py::test_tampered_grant_is_refused",),
    ),
    Mutation(
        "grant-item",
        "a grant for one item opens another",
        _GRANTS,
        "        if found.item_id != item_id or found.purpose != purpose:\n",
        "        if found.purpose != purpose:\n",
        ("tests/playback/test_access.py::test_grant_for_one_item_does_not_open_another",),
    ),
    Mutation(
        "grant-purpose",
        "a grant's purpose (stream, download, audio codec and bitrate, HLS session) is not checked",
        _GRANTS,
        "        if found.item_id != item_id or found.purpose != purpose:\n",
        "        if found.item_id != item_id:\n",
        ("tests/playback/test_media_access.py::test_audio_parameters_edited_in_the_url_void_the_grant",),
    ),
    Mutation(
        "grant-expiry",
        "an expired grant still opens media",
        _GRANTS,
        "        if found.expires_at < time.time():\n",
        "        if False:\n",
        ("tests/playback/test_access.py::test_expired_grant_is_refused",),
    ),
    Mutation(
        "media-zone",
        "media URLs ignore may_connect_remotely for remote requests",
        _ACCESS,
        "        if where == Zone.REMOTE.value and not viewer.permissions.may_connect_remotely:\n",
        "        if False:\n",
        (
            "tests/playback/test_media_access.py::"
            "test_a_member_who_may_not_connect_remotely_cannot_use_a_home_url_from_outside",
        ),
    ),
    Mutation(
        "managed-home-only",
        "a managed profile may connect remotely when its grants say so",
        SRC + "domain/grants.py",
        "        may_connect_remotely=role_value is not Role.MANAGED\n        and bool(",
        "        may_connect_remotely=bool(",
        ("tests/playback/test_media_access.py::test_a_managed_profile_url_works_at_home_only",),
    ),
    Mutation(
        "remote-bitrate-cap",
        "the server's remote bitrate cap is not applied to remote requests",
        _ACCESS,
        '        remote = int(self._setting("remote_max_bitrate_kbps")) if zone == Zone.REMOTE.value else 0\n',
        "        remote = 0\n",
        (
            "tests/playback/test_media_access.py::test_the_remote_bitrate_cap_applies_to_a_url_fetched_at_home",
        ),
    ),
    Mutation(
        "max-streams",
        "the per-user limit on streams at once is not enforced",
        _ACCESS,
        "        if len(playing) >= cap:\n",
        "        if False:\n",
        ("tests/playback/test_revocation.py::test_stream_limit_counts_a_direct_stream_being_sent",),
    ),
    Mutation(
        "csrf-check",
        "cookie-authenticated writes are not checked for cross-site origin",
        _MIDDLEWARE,
        "    if from_cookie and request.method in UNSAFE and _cross_site(request):\n",
        "    if False:\n",
        ("tests/web/test_csrf.py",),
    ),
    Mutation(
        "csrf-no-origin",
        "a cookie write with neither Sec-Fetch-Site nor Origin counts as same-site",
        _MIDDLEWARE,
        "    if origin is None:\n        return True\n",
        "    if origin is None:\n        return False\n",
        ("tests/web/test_csrf.py",),
    ),
    Mutation(
        "token-scope-read",
        "an API token without the read scope reaches every signed-in route",
        _MIDDLEWARE,
        "    if route.access is Access.USER and TokenScope.READ not in who.token_scopes:\n",
        "    if False:\n",
        ("tests/accounts/test_sessions.py::test_stream_only_token_cannot_browse",),
    ),
    Mutation(
        "password-session",
        "an API token may change how the account signs in",
        _MIDDLEWARE,
        "    if route.password_session and who.credential is not Credential.SESSION:\n",
        "    if False:\n",
        ("tests/accounts/test_account_security.py",),
    ),
    Mutation(
        "admin-route",
        "the route table's admin actions are not checked (can(who, route.access))",
        _MIDDLEWARE,
        "    if isinstance(route.access, Action) and not can(who, route.access):\n",
        "    if False:\n",
        ("tests/accounts/test_authorization_matrix.py::test_route_table_answers_each_caller_as_declared",),
    ),
    Mutation(
        "can-token-scope",
        "can() ignores the token's scopes",
        SRC + "domain/access.py",
        "    if _SCOPE_OF_ACTION[action] not in actor.token_scopes:\n        return False\n",
        "",
        ("tests/accounts/test_sessions.py::test_read_scoped_api_token_browses_but_cannot_administer",),
    ),
    Mutation(
        "owner-protected",
        "an admin may demote, disable or delete the owner",
        SRC + "services/users.py",
        "        if user.role == Role.OWNER.value:\n",
        "        if False:\n",
        (
            "tests/accounts/test_setup_and_owner.py::test_owner_cannot_be_demoted_disabled_or_deleted_by_an_admin",
        ),
    ),
    Mutation(
        "gate-remote-access",
        "remote peers are let in while remote access is off",
        _NETWORK,
        "    if remote and not policy.remote_access:\n",
        "    if False:\n",
        (
            "tests/network/test_gate.py::test_remote_client_is_refused_on_every_route_when_remote_access_is_off",
        ),
    ),
    Mutation(
        "gate-ip-filter",
        "the remote IP filter is not applied",
        _NETWORK,
        "    if remote and not filter_allows(peer.address, policy):\n",
        "    if False:\n",
        ("tests/network/test_gate.py::test_ip_filter_applies_to_remote_clients",),
    ),
    Mutation(
        "gate-remote-https",
        "remote peers may use plain HTTP when secure connections are preferred",
        _NETWORK,
        "    if policy.secure is SecureConnections.REQUIRED or remote:\n",
        "    if policy.secure is SecureConnections.REQUIRED:\n",
        ("tests/network/test_friend_access.py", "tests/network/test_gate.py"),
    ),
    Mutation(
        "host-allow-list",
        "unknown Host names are let through (DNS rebinding)",
        _NETWORK,
        "    if not host_allowed(host, policy):\n",
        "    if False:\n",
        ("tests/network/test_gate.py::test_unknown_host_name_is_refused_against_dns_rebinding",),
    ),
    Mutation(
        "host-junk",
        "a Host value that does not parse is judged anyway",
        _GATE,
        "        if host and parsed is None:\n",
        "        if False:\n",
        ("tests/network/test_gate.py::test_a_host_with_junk_after_the_address_is_refused_bare",),
    ),
    Mutation(
        "signin-throttle",
        "sign-in attempts are never refused for waiting",
        SRC + "services/throttle.py",
        "                if wait > 0:\n                    raise self._refuse(wait)\n",
        "",
        ("tests/accounts/test_signin_throttle.py", "tests/accounts/test_signin.py"),
    ),
    Mutation(
        "signin-2fa",
        "sign-in does not ask an enrolled user for the second factor",
        _ACCOUNTS,
        "            if second_factor:\n",
        "            if False:\n",
        ("tests/accounts/test_twofactor.py::test_sign_in_asks_for_the_code_once_enrolled",),
    ),
    Mutation(
        "token-hashing",
        "tokens are stored as they are instead of hashed",
        _TOKENS,
        "    return hashlib.sha256(secret.encode()).hexdigest()\n",
        "    return secret\n",
        ("tests/accounts/test_sessions.py::test_the_database_holds_only_a_hash_of_each_token",),
    ),
    Mutation(
        "session-expiry",
        "a session past its absolute expiry still works",
        _ACCOUNTS,
        "        if row.expires_at is not None and row.expires_at < now:\n",
        "        if False:\n",
        ("tests/accounts/test_sessions.py::test_session_past_its_absolute_expiry_ends_even_when_active",),
    ),
    Mutation(
        "invitation-uses",
        "an invitation can be claimed more times than it allows",
        SRC + "persistence/invitations.py",
        "                invitations.c.uses < invitations.c.max_uses,\n",
        "",
        (
            "tests/accounts/test_invitations.py::test_concurrent_redeemers_of_a_single_use_code_make_one_account",
        ),
    ),
    Mutation(
        "audit-chain",
        "the audit walk ignores a row whose hash or link is wrong",
        SRC + "persistence/audit.py",
        "            problem = _problem(row, prev, starts, legacy_through)\n",
        "            problem = None\n",
        ("tests/accounts/test_audit_chain.py",),
    ),
    Mutation(
        "audit-head",
        "the recorded head is not compared with the log's end (deleted newest entries go unseen)",
        SRC + "services/audit.py",
        "        if at_head == head.hash:\n",
        "        if True:\n",
        ("tests/accounts/test_audit_chain.py::test_a_deleted_last_entry_is_caught_by_the_recorded_head",),
    ),
    Mutation(
        "audit-head-advance",
        "the head file is overwritten by any newer entry, even when the database lost the recorded head "
        "(an os.fchmod(0o600) mutation was dropped: mkstemp already creates the file 0600)",
        SRC + "services/audit_head.py",
        "                if current is not None and (current.seq >= new.seq or not on_our_chain(current)):\n",
        "                if current is not None and current.seq >= new.seq:\n",
        ("tests/accounts/test_audit_chain.py",),
    ),
    Mutation(
        "path-containment",
        "a media file's real path is not checked to be inside the library's folders",
        _FILES,
        "                or not _inside(real, roots)\n",
        "",
        ("tests/playback/test_media_access.py", "tests/playback/test_ffmpeg_safety.py"),
    ),
    Mutation(
        "file-identity",
        "a file swapped after the scan is served (identity not compared)",
        _FILES,
        "        if not same:\n",
        "        if False:\n",
        ("tests/playback/test_media_access.py::test_a_file_swapped_after_the_scan_is_refused_and_rescanned",),
    ),
    Mutation(
        "server-files",
        "the server's own files (keys, database) are served when a library links to them",
        _FILES,
        "                or self._is_protected((st.st_dev, st.st_ino))\n",
        "",
        (
            "tests/playback/test_media_access.py::test_a_sidecar_subtitle_hard_linked_to_a_server_secret_is_refused",
        ),
    ),
    Mutation(
        "gps-rendition",
        "photo renditions keep GPS for viewers who may not see locations",
        SRC + "media/exif.py",
        "    gps = _copy(_sub_ifd(exif, GPS_IFD), _GPS_TAGS, GPS_IFD) if keep_location else {}\n",
        "    gps = _copy(_sub_ifd(exif, GPS_IFD), _GPS_TAGS, GPS_IFD)\n",
        (
            "tests/media/test_images.py::test_a_rendition_for_a_viewer_without_location_carries_no_gps",
            "tests/playback/test_renditions.py::test_photo_is_upright_and_without_gps_for_members",
        ),
    ),
    Mutation(
        "gps-original",
        "direct play sends a photo's original bytes, location included, to viewers who may not see it",
        _ACCESS,
        '        if allowed.item.summary.kind.value != "photo" or allowed.viewer.permissions.may_see_location:\n',
        "        if True:\n",
        ("tests/playback/test_location_routes.py",),
    ),
    Mutation(
        "decoded-copy-transcode",
        "an Opus or AAC track's decoded FLAC copy (an encode) is sent to a viewer who may not transcode",
        SRC + "services/audio_delivery.py",
        "            access.check_may_encode(allowed)\n",
        "",
        (
            "tests/playback/test_audio_decoded.py::"
            "test_a_viewer_who_may_not_transcode_is_neither_offered_nor_sent_the_decoded_copy",
        ),
    ),
    Mutation(
        "decoded-copy-cap",
        "the decoded FLAC copy is held to the cap at the lossy file's bitrate, not its own PCM weight",
        SRC + "services/audio_delivery.py",
        "            access.check_rate(allowed, copy.pcm_kbps)\n",
        "            access.check_direct_bitrate(allowed)\n",
        (
            "tests/playback/test_audio_decoded.py::"
            "test_the_decoded_copy_must_fit_the_viewers_bitrate_cap_at_its_pcm_weight",
        ),
    ),
)
