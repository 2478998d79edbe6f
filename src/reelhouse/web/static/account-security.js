// Password, two-factor, sessions and API tokens: drawn only for the routes this server has.
export async function render() {}
