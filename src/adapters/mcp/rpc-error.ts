/**
 * A JSON-RPC error a request handler throws: the SDK answers with its code, message and data as
 * they are (its own McpError would prefix "MCP error CODE:" to the message, which clients prefix again).
 */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}
