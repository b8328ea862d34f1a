// Base64 texts the wire protocol must refuse (src/protocol/base64.ts), shared by the Node test and
// the Chromium one (there @scure/base takes the native Uint8Array.fromBase64 path).
export const REFUSED_BASE64 = [
  'QR==', // unused bits set: would read as QQ== (0x41)
  'QUJ=', // unused bits set: would read as QUI= ("AB")
  'Zm9vYh==',
  'QQ', // missing padding
  'QQ=',
  'QUI',
  'QQ===', // too much padding
  '====',
  'Q===',
  'QQ==QQ==', // padding in the middle
  'Q=Q=',
  'QQ== ', // whitespace and line breaks anywhere
  ' QQ==',
  'Q Q==',
  'QQ==\n',
  'Zm9v\r\nYmFy',
  'Zm9v\tYmFy',
  '-_8=', // the url-safe alphabet (+/8= in the standard one)
  'Zm9_',
  'Zm9-',
  'Zm9vYmF\u00fd', // not ASCII
  'Zm9v\u0000',
  '....',
];
