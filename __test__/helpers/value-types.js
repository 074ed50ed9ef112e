// The type description the interop tests compare, the same as __test__/python/component_peer.py's:
// 'int:5', 'float:1.5', 'str:x', 'bytes:<hex>' (Buffer/Uint8Array), 'bool:true', 'null', arrays and
// objects element-wise. Numbers that are integers are 'int:' (JavaScript cannot tell 5 from 5.0).
'use strict';

function typesOf(v) {
  if (v === null || v === undefined) return 'null';
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return `bytes:${Buffer.from(v).toString('hex')}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `int:${v}` : `float:${v}`;
  if (typeof v === 'bigint') return `int:${v}`;
  if (typeof v === 'string') return `str:${v}`;
  if (typeof v === 'boolean') return `bool:${v}`;
  if (Array.isArray(v)) return v.map(typesOf);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typesOf(x)]));
  return `${typeof v}:${String(v)}`;
}

module.exports = { typesOf };
