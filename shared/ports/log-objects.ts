/** Where the log files AWS writes to S3 are read from. */
export interface LogObjects {
  /**
   * The object's bytes as a stream, never read whole. Throws InvalidInputError naming the key when the object
   * does not exist (a retry cannot bring it back), and a retryable error when the read may pass on a retry.
   */
  open(bucket: string, key: string): Promise<AsyncIterable<Uint8Array>>;
}
