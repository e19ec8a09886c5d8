/** The wire-protocol version this code speaks (RegisterRequest.protocol_version). */
export const PROTOCOL_VERSION = 1;
