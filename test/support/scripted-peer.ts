import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the peer received: headers, URL and parsed JSON body. */
export interface SeenRequest {
  readonly headers: IncomingMessage['headers'];
  readonly url: string;
  readonly body: Record<string, unknown>;
}

export type PeerHandler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/**
 * A scripted OpenAI-compatible peer on loopback for the model-client tests: records every request in `seen`
 * (the body read whole and parsed) and hands it to `handle`, which each test points at its own script.
 */
export function createScriptedPeer(handle: PeerHandler): {
  readonly seen: SeenRequest[];
  listen(): Promise<string>;
  dropConnections(): void;
  close(): Promise<void>;
} {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ headers: req.headers, url: req.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
      handle(req, res, body);
    });
  });
  return {
    seen,
    /** Listens on a free port of 127.0.0.1; resolves the `/v1` base URL. */
    async listen() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    },
    /** Closes every open connection (a script that never answered leaves them hanging). */
    dropConnections() {
      server.closeAllConnections();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
