'use strict';

// Serializer choices, as in Autobahn|JS (`serializers: [new autobahn.serializer.MsgpackSerializer()]`).
// The engine does the (de)serializing; these objects only name the format.
class JSONSerializer {
  constructor() {
    this.SERIALIZER_ID = 'json';
    this.BINARY = false;
  }
}
class MsgpackSerializer {
  constructor() {
    this.SERIALIZER_ID = 'msgpack';
    this.BINARY = true;
  }
}
class CBORSerializer {
  constructor() {
    this.SERIALIZER_ID = 'cbor';
    this.BINARY = true;
  }
}
const serializer = { JSONSerializer, MsgpackSerializer, CBORSerializer };

module.exports = { serializer, JSONSerializer, MsgpackSerializer, CBORSerializer };
