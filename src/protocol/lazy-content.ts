/**
 * The `data` of a MESSAGE the byte decoder read (decode-message-utf8.ts): the content stays UTF-8
 * bytes, and its value is parsed only if someone asks for it. No I/O; browser-safe.
 */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** `data` of a MESSAGE read from bytes: the content's value is built only if someone asks for it. */
export class LazyContent {
  constructor(
    readonly to: string,
    readonly contentBytes: Uint8Array,
  ) {}

  get content(): unknown {
    const value: unknown = JSON.parse(utf8.decode(this.contentBytes));
    return value;
  }
}
