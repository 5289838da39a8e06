// A Cotton Trace session: sign-in, requests with the access token, and a refresh
// when the token has expired. Plain fetch: runs unchanged in a browser and in
// Node 18+. Keep one Session per signed-in user (in a browser, the tokens may go
// to sessionStorage so that a reload keeps the user signed in).

export const LOGIN = /* GraphQL */ `
  mutation Login($username: String!, $password: String!) {
    login(username: $username, password: $password) {
      accessToken
      refreshToken
      expiresAt
      account { id username role org { id name } }
    }
  }
`;

export const REFRESH = /* GraphQL */ `
  mutation Refresh($refreshToken: String!) {
    refresh(refreshToken: $refreshToken) { accessToken refreshToken expiresAt }
  }
`;

/** A refused operation: `code` is the contract's ErrorCode (extensions.code). */
export class ApiError extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join('；'));
    this.code = errors[0]?.extensions?.code ?? 'INTERNAL';
    this.errors = errors;
  }
}

export class Session {
  /** @param {string} server e.g. "http://127.0.0.1:8080" */
  constructor(server) {
    this.endpoint = new URL('/graphql', server).toString();
    this.tokens = null; // { accessToken, refreshToken, expiresAt }
    this.refreshing = null;
    this.refreshes = 0;
  }

  get accessToken() {
    return this.tokens?.accessToken;
  }

  async signIn(username, password) {
    const data = await this.#post(LOGIN, { username, password }, null);
    this.tokens = data.login;
    return data.login.account;
  }

  /** Swaps the refresh token (single use) for a new pair; one at a time. */
  async refresh() {
    this.refreshing ??= (async () => {
      try {
        const data = await this.#post(REFRESH, { refreshToken: this.tokens.refreshToken }, null);
        this.tokens = data.refresh;
        this.refreshes += 1;
      } catch (e) {
        this.tokens = null; // refused (expired, reused or revoked): sign in again
        throw e;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Runs an operation; on UNAUTHENTICATED refreshes once and retries. */
  async request(query, variables = {}) {
    try {
      return await this.#post(query, variables, this.accessToken);
    } catch (e) {
      if (!(e instanceof ApiError) || e.code !== 'UNAUTHENTICATED' || !this.tokens) throw e;
      await this.refresh();
      return this.#post(query, variables, this.accessToken);
    }
  }

  /**
   * A GraphQL multipart request (github.com/jaydenseric/graphql-multipart-request-spec):
   * `file` (a File from <input type="file">, or any Blob) is bound to `variables.file`.
   */
  async upload(query, variables, file, fileName) {
    const send = () => {
      const form = new FormData();
      form.append('operations', JSON.stringify({ query, variables: { ...variables, file: null } }));
      form.append('map', JSON.stringify({ 0: ['variables.file'] }));
      form.append('0', file, fileName ?? file.name);
      return this.#send(form, this.accessToken);
    };
    try {
      return await send();
    } catch (e) {
      if (!(e instanceof ApiError) || e.code !== 'UNAUTHENTICATED' || !this.tokens) throw e;
      await this.refresh();
      return send();
    }
  }

  #post(query, variables, token) {
    return this.#send(JSON.stringify({ query, variables }), token, 'application/json');
  }

  async #send(body, token, contentType) {
    const headers = {};
    if (contentType) headers['content-type'] = contentType;
    if (token) headers.authorization = `Bearer ${token}`;
    const resp = await fetch(this.endpoint, { method: 'POST', headers, body });
    // Refusals before execution (too large, unparsable) come with 4xx and the same
    // {"errors": [...]} shape; every error carries extensions.code.
    const answer = await resp.json();
    if (answer.errors?.length) throw new ApiError(answer.errors);
    return answer.data;
  }
}
