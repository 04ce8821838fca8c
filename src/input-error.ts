/** An input value that failed validation; the message names the input, the value and the fix. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
