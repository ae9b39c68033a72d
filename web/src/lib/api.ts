// The JSON API client: GET/POST under /api, bearer token when the server asks for one.

const TOKEN_KEY = 'gumshoe.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function setToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

function headers(json: boolean): HeadersInit {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return {
    Accept: 'application/json',
    ...(json ? { 'Content-Type': 'application/json' } : {}),
    ...(token ? { Authorization: `Bearer ${token}` } : {}),
  };
}

async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const response = await fetch(`api${path}`, {
    method,
    headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    throw new ApiError(response.status, `${method} /api${path}: not JSON (HTTP ${response.status})`);
  }
  if (!response.ok) {
    const message = (parsed as { error?: unknown } | undefined)?.error;
    throw new ApiError(response.status, typeof message === 'string' ? message : `HTTP ${response.status}`);
  }
  return parsed as T;
}

export const apiGet = <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, undefined, signal);
export const apiPost = <T>(path: string, body: unknown = {}) => request<T>('POST', path, body);

/** `?a=1&b=2` from the defined values, or '' when there are none. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** `/type/id` with the id URL-encoded (ARNs and user agents carry slashes and spaces). */
export const entityPath = (type: string, id: string) => `/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;
