// Type definitions for the `autobahn` package: a native WAMP client for Node.js and a drop-in
// replacement for Autobahn|JS. Hand-written; they describe the public API of index.js.
//
//   const autobahn = require('autobahn');          // CommonJS
//   import autobahn = require('autobahn');         // TypeScript, CommonJS output
//   import * as autobahn from 'autobahn';          // TypeScript, ES module syntax
//
// Promises: unless `use_es6_promises` (native Promises) or `use_deferred` (your own deferreds) is
// set, every returned promise is a when.js promise. Both kinds are typed as `AutobahnPromise<T>`,
// a `Promise<T>` whose `then` also takes a third callback for progress updates (called by when.js
// only; native Promises ignore it).

export = autobahn;

declare namespace autobahn {
  // -------------------------------------------------------------------------------------------
  // Promises and deferreds

  /**
   * A promise returned by this package: a when.js promise by default, a native `Promise` with
   * `use_es6_promises`, or whatever `use_deferred` makes. Rejections are `autobahn.Error`.
   */
  interface AutobahnPromise<T> extends Promise<T> {
    /**
     * Like `Promise.then`; the third callback receives progress updates (when.js promises only,
     * e.g. progressive call results of a call made with `receive_progress: true`).
     */
    then<TResult1 = T, TResult2 = never>(
      onfulfilled?: ((value: T) => TResult1 | PromiseLike<TResult1>) | null,
      onrejected?: ((reason: any) => TResult2 | PromiseLike<TResult2>) | null,
      onprogress?: ((update: any) => void) | null
    ): AutobahnPromise<TResult1 | TResult2>;
  }

  /** The promise returned by `Session.call()`: it can also cancel the call. */
  interface CallPromise<T = any> extends AutobahnPromise<T> {
    /**
     * Sends CANCEL for the call. Except with `mode: 'kill'` the promise rejects at once with
     * `autobahn.Error` 'wamp.error.canceled'. Returns false if the call already ended or the
     * session is closed. Only the promise returned by `call()` has this method.
     */
    cancel(options?: CancelOptions): boolean;
    /**
     * With `receive_progress`, `for await (const update of session.call(...))` yields each
     * progressive result and ends when the final one arrives (which the promise resolves to);
     * it throws the call's error. Updates are buffered from the moment of the call.
     */
    [Symbol.asyncIterator](): AsyncIterator<any>;
  }

  /** Returned by `Session.call_progressive()`: streams the inputs of one call. */
  interface ProgressiveCall<T = any> {
    /** Sends one more input (a CALL with `progress: true`). Throws once `end()` was called. */
    send(args?: any[] | null, kwargs?: Record<string, any> | null): void;
    /** Sends the last input and returns the call's promise. */
    end(args?: any[] | null, kwargs?: Record<string, any> | null): CallPromise<T>;
    /** The call's promise, once the first input was sent; null before. */
    readonly result: CallPromise<T> | null;
  }

  /** Options of `CallPromise.cancel()`, sent in the CANCEL message. */
  interface CancelOptions {
    /** 'skip' (leave the callee alone), 'kill' (interrupt it, wait for its answer) or 'killnowait'; no default (the router decides). */
    mode?: 'skip' | 'kill' | 'killnowait';
    /** Other keys are sent to the router as-is. */
    [key: string]: any;
  }

  /** A deferred as made by `when.defer()`, the ES6 flavour or a `use_deferred` factory. */
  interface Deferred<T = any> {
    /** The promise (when.js, ES6), or a function returning it (jQuery-style deferreds). */
    promise: PromiseLike<T> | (() => PromiseLike<T>);
    /** Resolves the promise. */
    resolve(value?: T | PromiseLike<T>): void;
    /** Rejects the promise. */
    reject(reason?: any): void;
    /** Sends a progress update (when.js and jQuery deferreds; absent on ES6 ones). */
    notify?(update: any): void;
  }

  /** Makes a new deferred: `when.defer`, the ES6 flavour, or the `use_deferred` option. */
  type DeferFactory = () => Deferred;

  // -------------------------------------------------------------------------------------------
  // Connection

  /** PEM text: a string, or a Buffer/Uint8Array holding it. */
  type PemInput = string | Uint8Array;

  /**
   * TLS settings (`wss://` URLs and RawSocket entries with `tls: true`). Server certificates are
   * verified against the system's trusted roots unless `ca` is given.
   */
  interface TlsConfiguration {
    /** Trusted CA certificate(s), PEM. When given, only these are trusted (as Node's `tls.connect({ca})`). */
    ca?: PemInput | PemInput[];
    /** Client certificate chain (PEM), for TLS client authentication; needs `key`. */
    cert?: PemInput | PemInput[];
    /** Private key (PEM: PKCS#8, PKCS#1 or SEC1) of `cert`. */
    key?: PemInput;
    /** `false` is the same as `tls_insecure_skip_verify: true` (UNSAFE). */
    rejectUnauthorized?: boolean;
  }

  /** Transport options that may be given per `transports` entry or at the top level (inherited). */
  interface TransportTuning {
    /** TLS settings: custom CA, client certificate. */
    tlsConfiguration?: TlsConfiguration;
    /**
     * UNSAFE: accept any server certificate (no verification of issuer or host name). Only for
     * development and tests; anyone on the path can impersonate the router. Default false.
     */
    tls_insecure_skip_verify?: boolean;
    /** RawSocket: we accept messages up to 2^n bytes, n = 9..24; default 24 (16 MiB). Sent in the handshake. */
    rawsocket_max_len_exp?: number;
    /** WebSocket: extra HTTP headers for the opening handshake (e.g. a cookie or an API key). */
    headers?: Record<string, string | number>;
    /**
     * Largest message we send (checked before sending: a bigger one is not sent and its request
     * rejects with 'wamp.error.payload_size_exceeded'; the session goes on) and, over WebSocket,
     * accept. Default: no limit of ours (RawSocket always honours the router's handshake limit).
     */
    max_message_size?: number;
    /**
     * WebSocket heartbeat: after this many seconds without anything from the router, send a ping.
     * Default: no heartbeat.
     */
    autoping_interval?: number;
    /**
     * WebSocket heartbeat: seconds to wait for an answer to the ping; then the link counts as dead
     * and the connection closes with `onclose('lost')`. Default: `autoping_interval`.
     */
    autoping_timeout?: number;
    /** WebSocket heartbeat: bytes of random ping payload (0-125); default 4. */
    autoping_size?: number;
  }

  /** One entry of `ConnectionOptions.transports`. Entries are tried in order on every connection attempt (failover). */
  interface TransportOptions extends TransportTuning {
    /**
     * Transport type; default 'websocket'. 'websocket' and 'rawsocket' are supported; 'longpoll'
     * entries are skipped (if no entry is usable, `open()` calls `onclose('unsupported')`).
     */
    type?: 'websocket' | 'longpoll' | 'rawsocket';
    /**
     * WebSocket: router URL (`ws://…` or `wss://…`); default the top-level `url`.
     * RawSocket: optional alternative to host/port/path: `rs://host:port`, `rss://host:port` (TLS)
     * or `rs+unix://<path>`.
     */
    url?: string;
    /** RawSocket over TCP: router host; default 'localhost'. */
    host?: string;
    /** RawSocket over TCP: router port (required unless `path` or `url` is given). */
    port?: number;
    /** RawSocket over a Unix domain socket: its path. */
    path?: string;
    /** RawSocket over TCP: use TLS (see `tlsConfiguration`). Default false. */
    tls?: boolean;
    /**
     * Serializers to offer, e.g. `['wamp.2.json']`; overrides `serializers`. Unsupported ones are
     * dropped. WebSocket offers all at once; RawSocket asks for the first and tries the next one
     * if the router refuses it.
     */
    protocols?: string[];
    /**
     * Serializers as ids ('json', 'msgpack', 'cbor') or serializer objects
     * (`new autobahn.serializer.MsgpackSerializer()`), in order of preference; default json then
     * msgpack (as Autobahn|JS). Unsupported ones are dropped; an entry left with none is skipped.
     */
    serializers?: Array<'json' | 'msgpack' | 'cbor' | string | { SERIALIZER_ID: string }>;
    /** Other keys Autobahn|JS transports take (longpoll `request_timeout`, …) are ignored. */
    [key: string]: unknown;
  }

  /** What `onchallenge` answers: the signature (or ticket), optionally with AUTHENTICATE extra. */
  type ChallengeResponse = string | [string] | [string, Record<string, any>];

  /** Answers a CHALLENGE of the router during the join (see `ConnectionOptions.onchallenge`). */
  type OnChallengeHandler = (
    session: Session,
    method: string,
    extra: Record<string, any>
  ) => ChallengeResponse | PromiseLike<ChallengeResponse>;

  /** Receives an error and a short description of where it happened. */
  type ErrorHandler = (err: any, msg: string) => void;

  /** Options of `new autobahn.Connection(options)`. Validated by the constructor (TypeError). */
  interface ConnectionOptions extends TransportTuning {
    /** Router WebSocket URL (`ws://host:port/path` or `wss://…`). Required unless `transports` is given. */
    url?: string;
    /** Realm to join. Required, a non-empty string. */
    realm: string;
    /**
     * Transports, in order: each connection attempt tries them one after the other until one
     * connects (failover); when all fail, that counts as one failed attempt of the retry schedule.
     * Entries inherit the top-level `url`, serializers and TLS options. Default `[{type: 'websocket', url}]`.
     */
    transports?: TransportOptions[];
    /**
     * Seconds one transport entry may take to connect (TCP, TLS and the WebSocket/RawSocket
     * handshake) before it counts as failed and the next entry is tried; the router then gets as
     * long again to answer HELLO (else `onclose('lost')`). Default 10.
     */
    connect_timeout?: number;
    /** Serializers for transport entries that do not name their own (see `TransportOptions.serializers`). */
    serializers?: TransportOptions['serializers'];
    /** WebSocket subprotocols for transport entries that do not name their own. */
    protocols?: string[];
    /** Authentication methods offered in HELLO, e.g. `['ticket']`, `['wampcra']`; default none (anonymous). */
    authmethods?: string[];
    /** Authentication ID (user name) sent in HELLO; default none. */
    authid?: string;
    /** Role asked for in HELLO (an Autobahn|Python extension; Autobahn|JS does not send it); default none. */
    authrole?: string;
    /** Extra authentication data sent in HELLO (e.g. `{pubkey}` for cryptosign); default none. */
    authextra?: Record<string, any>;
    /**
     * Answers a CHALLENGE: return the signature (or ticket), `[signature, extra]`, or a promise
     * of either. A throw, rejection or wrong return type aborts the join with
     * 'wamp.error.cannot_authenticate' and goes to `on_user_error`. Default none: a challenge
     * then aborts the join and goes to `on_internal_error`.
     */
    onchallenge?: OnChallengeHandler | null;
    /**
     * A ticket for authmethod 'ticket' (needs `authid`). Like `secret`, `password` and `private_key`
     * (additions to Autobahn|JS), it replaces `onchallenge`: the Connection answers the challenge,
     * offers the methods of the credentials given when `authmethods` is not set (cryptosign, scram,
     * wampcra, ticket, in that order) and adds the `authextra` the method needs. Ignored when
     * `onchallenge` is given.
     */
    ticket?: string;
    /** The WAMP-CRA secret (authmethod 'wampcra', needs `authid`); salted secrets are derived as the challenge says. */
    secret?: string;
    /** The WAMP-SCRAM password (authmethod 'scram', needs `authid`); a client nonce goes into `authextra.nonce`. */
    password?: string;
    /** The WAMP-Cryptosign key (authmethod 'cryptosign'): a key pair or its seed; its public key goes into `authextra.pubkey`. */
    private_key?: auth_cryptosign.KeyLike;
    /** Reconnect attempts before giving up; default 15, -1 = unlimited, 0 = never reconnect. */
    max_retries?: number;
    /** Delay before the first reconnect, in seconds; default 1.5 (0 is honoured). */
    initial_retry_delay?: number;
    /** Upper bound of the reconnect delay, in seconds; default 300 (0 means the default, as in Autobahn|JS). */
    max_retry_delay?: number;
    /** Factor the reconnect delay grows by after each attempt; default 1.5 (0 means the default, as in Autobahn|JS). */
    retry_delay_growth?: number;
    /**
     * Relative standard deviation of the normal jitter applied to each reconnect delay; default
     * 0.1. Unlike Autobahn|JS (which turns 0 into 0.1), 0 means no jitter.
     */
    retry_delay_jitter?: number;
    /** Whether to keep retrying while the router was never reached (onclose reason 'unreachable'); default true. */
    retry_if_unreachable?: boolean;
    /** Return native ES6 Promises instead of when.js promises; default false (progress then only via `CallOptions.progress`). */
    use_es6_promises?: boolean;
    /** Deferred factory for all returned promises (e.g. `jQuery.Deferred`, `Q.defer`); ignored with `use_es6_promises`; default `when.defer`. */
    use_deferred?: DeferFactory | null;
    /**
     * Receives exceptions of user code: onopen, onclose, onchallenge, event handlers, endpoints
     * (other than `autobahn.Error`), progress callbacks; default logs with console.error.
     */
    on_user_error?: ErrorHandler | null;
    /** Receives internal errors (protocol violations, a challenge with no onchallenge, …); default logs with console.error. */
    on_internal_error?: ErrorHandler | null;
    /**
     * Ours (README "Reconnecting"): after a reconnect, make every subscription and registration
     * that was active when the session was lost again on the new session, as the same
     * `Subscription`/`Registration` objects (new `id`, `session` = the new session), before
     * `onjoin`/`onopen` run. Default false (Autobahn|JS: they end with the session).
     */
    restore_on_reconnect?: boolean;
    /**
     * Ours: how many requests (`call`, `publish`, `subscribe`, `register`) issued on a lost session
     * while the connection reconnects are held and sent, in order, after the restore. A request
     * beyond it rejects with 'autobahn.error.reconnect_queue_full'. Default 0: with
     * `restore_on_reconnect` they reject at once with 'autobahn.error.reconnecting'; with neither
     * option a lost session throws 'session not open' as in Autobahn|JS.
     */
    queue_while_reconnecting?: number;
    /**
     * Ours: told when the router refuses to restore one subscription or registration (e.g.
     * 'wamp.error.procedure_already_exists'); that object becomes inactive. Default: `on_user_error`.
     */
    on_restore_error?: ((err: Error, object: Subscription | Registration) => void) | null;

    /**
     * Flow control (README "Flow control"): bytes accepted but not yet written to the socket
     * (`Connection.bufferedAmount`) at or over which `publish`, `call`, `subscribe` and
     * `register` are refused with `autobahn.Error` 'wamp.error.buffer_full'. An integer >= 1;
     * default 16 MiB (16777216).
     */
    outgoing_high_water_mark?: number;
    /**
     * Flow control: `Session.drained()` resolves once `bufferedAmount` is at or under this many
     * bytes. An integer below `outgoing_high_water_mark`; default a quarter of it (4 MiB).
     */
    outgoing_low_water_mark?: number;
    /**
     * Flow control: bytes of received events that may wait for the JavaScript thread; over it
     * the connection stops reading the socket until JavaScript has taken them (TCP then pushes
     * back on the router). An integer >= 1; default 1 MiB (1048576).
     */
    incoming_high_water_mark?: number;
  }

  /** Why `onclose` was called. */
  type CloseReason = 'closed' | 'lost' | 'unreachable' | 'unsupported';

  /** The `details` argument of `Connection.onclose`. */
  interface CloseDetails {
    /** Reason URI of the ABORT/GOODBYE that ended the session (or of `close()` while waiting to reconnect), else null. */
    reason: string | null;
    /** Message of that ABORT/GOODBYE (or a description of a failed connect), else null. */
    message: string | null;
    /** Seconds until the next reconnect attempt, or null. */
    retry_delay: number | null;
    /** Number of the next reconnect attempt (1 for the first), or null. */
    retry_count: number | null;
    /** Whether a reconnect will follow (unless onclose returns true). */
    will_retry: boolean;
  }

  /** A WAMP message as an array: `[type, ...]` (e.g. `[16, requestId, {}, 'com.topic', [1]]`). */
  type WampMessage = [number, ...any[]];

  /** `Session._socket`. */
  interface SessionSocket {
    readonly info: TransportInfo;
    /** The serializer in use (undefined when there is no transport). */
    readonly serializer:
      serializer.JSONSerializer | serializer.MsgpackSerializer | serializer.CBORSerializer | undefined;
    /** Sends one message, as the original `Session._send_wamp` does. */
    send(msg: WampMessage): void;
    /** Drops the transport (the connection reconnects as after a transport failure). */
    close(): void;
  }

  /** The connected transport, as in `Connection.transport.info` and `SessionDetails.transport`. */
  interface TransportInfo {
    /** Transport type ('websocket' or 'rawsocket'), or 'none' when there is no transport. */
    type: string;
    /** URL connected to (RawSocket: `rs://host:port`, `rss://host:port` over TLS, `rs+unix://<path>`), or null when there is no transport. */
    url: string | null;
    /** Negotiated serializer as a WAMP subprotocol name (e.g. 'wamp.2.json'), or null. */
    protocol: string | null;
  }

  /** Features of one role: client flag AND router flag (undefined if the router did not announce it). */
  interface RoleFeatures {
    [feature: string]: boolean | undefined;
  }

  /** `Session.features`: what both this client and the router support, per client role. */
  interface SessionFeatures {
    /** Caller features (vs the dealer). */
    caller: RoleFeatures;
    /** Callee features (vs the dealer). */
    callee: RoleFeatures;
    /** Publisher features (vs the broker). */
    publisher: RoleFeatures;
    /** Subscriber features (vs the broker). */
    subscriber: RoleFeatures;
  }

  /** The `details` argument of `Connection.onopen`: the WELCOME details plus the transport. */
  interface SessionDetails {
    /** Authentication ID the router assigned. */
    authid: string;
    /** Role the router assigned. */
    authrole: string;
    /** Authentication method used ('anonymous', 'ticket', 'wampcra', …). */
    authmethod: string;
    /** Who authenticated the session ('static', 'dynamic', …). */
    authprovider: string;
    /** Extra data from the router's authenticator, if any. */
    authextra?: Record<string, any>;
    /** Router roles and their features, e.g. `{broker: {features: {...}}, dealer: {...}}`. */
    roles: Record<string, { features?: Record<string, any>; [key: string]: any }>;
    /** The realm joined, if the router says. */
    realm?: string;
    /** The transport the session runs on. */
    transport: TransportInfo;
    /**
     * Ours, on a session that follows a lost one (with `restore_on_reconnect` or
     * `queue_while_reconnecting`): what was made again, and what the router refused.
     */
    restored?: RestoredDetails;
    /** Other WELCOME details the router sent. */
    [key: string]: any;
  }

  /** `SessionDetails.restored`: the outcome of restoring after a reconnect (README "Reconnecting"). */
  interface RestoredDetails {
    /** Subscriptions made again (the same objects as before). */
    subscriptions: Subscription[];
    /** Registrations made again (the same objects as before). */
    registrations: Registration[];
    /** Objects the router refused to restore; they are now inactive. */
    failed: Array<Subscription | Registration>;
  }

  /** A connection to a WAMP router that joins a session and reconnects per its options. */
  class Connection {
    /** Validates the options (TypeError on bad ones); does not connect until `open()`. */
    constructor(options: ConnectionOptions);

    /**
     * Starts connecting (and later reconnecting). Throws the string
     * 'connection already open (or opening)' if active. With no usable transport, calls
     * `onclose('unsupported', …)` synchronously.
     */
    open(): void;

    /**
     * Leaves the session with GOODBYE (default reason 'wamp.close.normal'), or drops the
     * transport, and stops reconnecting (also cancels a pending retry). Throws the string
     * 'connection already closed' if not open or retrying; an invalid reason URI throws
     * `autobahn.Error` 'wamp.error.invalid_uri'.
     */
    close(reason?: string | null, message?: string | null): void;

    /** Called each time a session is joined (also after a reconnect); default null. */
    onopen: ((session: Session, details: SessionDetails) => void) | null;

    /**
     * Called when the connection closes or a connect attempt fails; default null. Return true
     * to stop reconnecting. Unlike Autobahn|JS (where any returned promise counts as true), an
     * async onclose's resolved value decides.
     */
    onclose: ((reason: CloseReason, details: CloseDetails) => boolean | void | PromiseLike<boolean | void>) | null;

    /** True while a WAMP session is joined. */
    readonly isOpen: boolean;
    /** True while a transport is connected (the session may not be joined yet). */
    readonly isConnected: boolean;
    /** True while waiting to reconnect. */
    readonly isRetrying: boolean;
    /** The current session (made when the transport connects, before the join completes), or null. */
    readonly session: Session | null;
    /** The current transport: its info, and `close()`. */
    readonly transport: {
      /** Transport info; `{type: 'none', url: null, protocol: null}` when not connected. */
      info: TransportInfo;
      /** Same as `Connection.close()` with no arguments (stops reconnecting); does nothing when inactive. */
      close(): void;
    };
    /** The deferred factory used for returned promises. */
    readonly defer: DeferFactory;
    /**
     * Flow control: bytes of WAMP messages accepted (by `publish`, `call`, …) and not yet written
     * to the socket: their serialized text (JSON, before a binary serializer re-encodes it) plus
     * the Buffers and long strings sent beside it. 0 when nothing waits.
     */
    readonly bufferedAmount: number;
    /** Flow control: WAMP messages accepted and not yet written to the socket. */
    readonly bufferedMessages: number;
  }

  // -------------------------------------------------------------------------------------------
  // Session

  /** Options of `Session.call()`. Other keys are sent to the router as CALL options. */
  interface CallOptions {
    /** Ask for progressive results (`progress` callback, when.js progress, async iteration); default false. */
    receive_progress?: boolean;
    /** Called with each progressive result (a value, a `Result` or null); implies `receive_progress: true`. Local only. */
    progress?: (value: any) => void;
    /** Cancels the call (mode 'killnowait') when aborted; rejects with 'wamp.error.canceled'. Local only. */
    signal?: AbortSignal;
    /** Ask the router to disclose this caller to the callee; default `session.caller_disclose_me`. */
    disclose_me?: boolean;
    /**
     * Call timeout in milliseconds; 0 or absent = none. Sent to the router and also enforced
     * locally: the call rejects with 'wamp.error.timeout' and is cancelled.
     */
    timeout?: number;
    /** Other CALL options (e.g. `runmode`, `rkey`), sent as-is. */
    [key: string]: any;
  }

  /** Options of `Session.publish()`, sent as PUBLISH options. */
  interface PublishOptions {
    /** Ask the broker to acknowledge: `publish()` then returns a promise of `Publication`; default false. */
    acknowledge?: boolean;
    /** Session IDs that must not receive the event. */
    exclude?: number[];
    /** Only these session IDs may receive the event. */
    eligible?: number[];
    /** Authids that must not receive the event. */
    exclude_authid?: string[];
    /** Authroles that must not receive the event. */
    exclude_authrole?: string[];
    /** Only these authids may receive the event. */
    eligible_authid?: string[];
    /** Only these authroles may receive the event. */
    eligible_authrole?: string[];
    /** Whether to leave out the publisher itself; default true (router side). */
    exclude_me?: boolean;
    /** Ask the broker to disclose the publisher to subscribers; default `session.publisher_disclose_me`. */
    disclose_me?: boolean;
    /** Ask the broker to keep this as the topic's retained event; default false. */
    retain?: boolean;
  }

  /** Options of `Session.subscribe()`, sent as SUBSCRIBE options. */
  interface SubscribeOptions {
    /** Topic matching policy; default 'exact'. 'prefix' and 'wildcard' allow empty URI components. */
    match?: 'exact' | 'prefix' | 'wildcard';
    /** Deliver the topic's retained event (if any) right after subscribing; default false. */
    get_retained?: boolean;
  }

  /** Options of `Session.register()`, sent as REGISTER options. */
  interface RegisterOptions {
    /** Procedure matching policy; default 'exact'. 'prefix' and 'wildcard' allow empty URI components. */
    match?: 'exact' | 'prefix' | 'wildcard';
    /** Shared registration policy; default 'single'. The first registration of a procedure fixes it. */
    invoke?: 'single' | 'roundrobin' | 'random' | 'first' | 'last';
    /** Ask the router to disclose callers (`Invocation.caller`, …); default false. */
    disclose_caller?: boolean;
  }

  /**
   * An event handler. Throws go to `on_user_error`; the return value is ignored (so the
   * rejection of an async handler is not caught).
   */
  type SubscribeHandler = (
    args: any[],
    kwargs: Record<string, any>,
    details: Event,
    subscription: Subscription
  ) => void;

  /**
   * A procedure endpoint. Return a value (sent as `[value]`), a `Result`, or a promise of either;
   * throw or reject with `autobahn.Error` to send that WAMP error, anything else becomes
   * 'wamp.error.runtime_error' (and goes to `on_user_error`).
   */
  type Endpoint = (args: any[], kwargs: Record<string, any>, details: Invocation) => any;

  /** A WAMP session, made by a `Connection` (see `Connection.onopen`). */
  class Session {
    private constructor(connection: Connection, serial: number);

    /** Session ID assigned by the router, or null when not joined. */
    readonly id: number | null;
    /** Realm of the session (from the connection options). */
    readonly realm: string;
    /** True while joined. */
    readonly isOpen: boolean;
    /** Authentication id from WELCOME; null when not joined. */
    readonly authid: string | null;
    /** Authentication role from WELCOME; null when not joined. */
    readonly authrole: string | null;
    /** Authentication method the router used (e.g. 'anonymous', 'ticket', 'wampcra'); null when not joined. */
    readonly authmethod: string | null;
    /** Authentication provider (e.g. 'static', 'dynamic'); null when not joined. */
    readonly authprovider: string | null;
    /** WELCOME authextra; null when not joined. */
    readonly authextra: Record<string, any> | null;
    /** Features both sides support, per role; null before the join. */
    readonly features: SessionFeatures | null;
    /** Active subscriptions, one array of handlers per WAMP subscription ID. */
    readonly subscriptions: Subscription[][];
    /** Active registrations. */
    readonly registrations: Registration[];
    /**
     * Autobahn|JS's private transport object, for code that reads it: the transport `info` and the
     * serializer in use (`serializer.SERIALIZER_ID` is 'json', 'msgpack' or 'cbor').
     */
    readonly _socket: SessionSocket;
    /**
     * Autobahn|JS's hook for every outgoing WAMP message. Replace it on a session to see each
     * message as the array Autobahn|JS would pass (e.g. `[48, requestId, {}, 'com.x', [1]]`); the
     * original (`session._send_wamp.bind(session)`) sends the array it is given, so a replacement
     * that does not call it drops the message. Request ids are the ones on the wire when each
     * message is passed on (or dropped) before the next is sent. HELLO, AUTHENTICATE, GOODBYE and ABORT are sent by the
     * engine and not passed here.
     */
    _send_wamp(msg: WampMessage): void;
    /** Default of `CallOptions.disclose_me`; default false. */
    caller_disclose_me: boolean;
    /** Default of `PublishOptions.disclose_me`; default false. */
    publisher_disclose_me: boolean;
    /** Called once when the joined session ends, with the close reason URI (or 'wamp.close.transport_lost') and the close details; default null. */
    onleave: ((reason: string, details: CloseDetails) => void) | null;
    /** The deferred factory used for returned promises. */
    readonly defer: DeferFactory;

    /** Logs the arguments in a console group headed by the session ID, realm and age. */
    log(...args: any[]): void;

    /**
     * Not supported: sessions are joined by `Connection.open()`. Always throws (the string
     * 'session already open' if joined, else an Error).
     */
    join(realm?: string, authmethods?: string[], authid?: string, authextra?: Record<string, any>): never;

    /**
     * Leaves with GOODBYE (default reason 'wamp.close.normal'); the connection then closes and
     * does not reconnect. Throws the string 'session not open' when not joined, `autobahn.Error`
     * 'wamp.error.invalid_uri' for a bad reason, TypeError for a non-string message.
     */
    leave(reason?: string | null, message?: string | null): void;

    /** Defines (or with `uri` null/undefined removes) a CURIE prefix, e.g. `prefix('api', 'com.example.api')`. */
    prefix(prefix: string, uri?: string | null): void;

    /** Expands a CURIE ('api:add2' → 'com.example.api.add2'); other strings are returned unchanged. */
    resolve(curie: string): string;

    /**
     * Calls a procedure (a URI or a CURIE). Resolves to the single result value, a `Result` when
     * there are several args or any kwargs, or null when there is none; rejects with
     * `autobahn.Error`. Throws the string 'session not open' when not joined, `autobahn.Error`
     * 'wamp.error.invalid_uri' for a bad URI, TypeError for bad args/kwargs/options or a
     * payload that cannot be serialized.
     */
    call<T = any>(
      procedure: string,
      args?: any[] | null,
      kwargs?: Record<string, any> | null,
      options?: CallOptions | null
    ): CallPromise<T>;

    /**
     * Progressive call invocations: stream a call's input with `send()`, finish with `end()`.
     * Throws `autobahn.Error` 'wamp.error.feature_not_supported' when the router's dealer does not
     * announce `progressive_call_invocations` (Crossbar.io 26.10.1 does not).
     */
    call_progressive<T = any>(procedure: string, options?: CallOptions | null): ProgressiveCall<T>;

    /**
     * Publishes an event with `acknowledge: true`: resolves to the `Publication` once the broker
     * accepted it, rejects with `autobahn.Error`. Throws like `call()`.
     */
    publish(
      topic: string,
      args: any[] | null | undefined,
      kwargs: Record<string, any> | null | undefined,
      options: PublishOptions & { acknowledge: true }
    ): AutobahnPromise<Publication>;
    /**
     * Publishes an event (fire and forget): returns undefined. Throws the string
     * 'session not open' when not joined, `autobahn.Error` 'wamp.error.invalid_uri' for a bad
     * URI, TypeError for bad args/kwargs/options or a payload that cannot be serialized.
     */
    publish(
      topic: string,
      args?: any[] | null,
      kwargs?: Record<string, any> | null,
      options?: (PublishOptions & { acknowledge?: false }) | null
    ): undefined;
    /** Publishes an event: a promise of the `Publication` if `options.acknowledge` is true, else undefined. */
    publish(
      topic: string,
      args?: any[] | null,
      kwargs?: Record<string, any> | null,
      options?: PublishOptions | null
    ): AutobahnPromise<Publication> | undefined;

    /**
     * Subscribes a handler to a topic; several handlers may share one WAMP subscription.
     * Resolves to the `Subscription`, rejects with `autobahn.Error`. Throws like `call()` (also
     * TypeError if the handler is not a function).
     */
    subscribe(
      topic: string,
      handler: SubscribeHandler,
      options?: SubscribeOptions | null
    ): AutobahnPromise<Subscription>;

    /**
     * Registers an endpoint for a procedure. Resolves to the `Registration`, rejects with
     * `autobahn.Error`. Throws like `call()` (also TypeError if the endpoint is not a function).
     */
    register(procedure: string, endpoint: Endpoint, options?: RegisterOptions | null): AutobahnPromise<Registration>;

    /**
     * Removes a handler: resolves to false if other handlers still share the WAMP subscription,
     * to true once the router confirmed UNSUBSCRIBE. Throws the string 'session not open' or
     * 'subscription not active', TypeError if not a `Subscription`.
     */
    unsubscribe(subscription: Subscription): AutobahnPromise<boolean>;

    /**
     * Unregisters: resolves once the router confirmed. Throws the string 'session not open' or
     * 'registration not active', TypeError if not a `Registration`.
     */
    unregister(registration: Registration): AutobahnPromise<void>;

    /**
     * Flow control: resolves once `Connection.bufferedAmount` is at or under the connection's
     * `outgoing_low_water_mark` (at once if it already is). Rejects with `autobahn.Error` if
     * the session ends first (what was buffered is then discarded, not written).
     */
    drained(): AutobahnPromise<void>;
  }

  // -------------------------------------------------------------------------------------------
  // Value classes

  /**
   * A WAMP error: `error` is the error URI. Unlike Autobahn|JS it is a real `Error` (name
   * 'AutobahnError', message = the URI plus the first arg if it is a string, stack).
   */
  class Error extends globalThis.Error {
    /** Makes an error to throw from an endpoint or to inspect on rejection. */
    constructor(error: string, args?: any[], kwargs?: Record<string, any>);
    /** Error URI, e.g. 'wamp.error.no_such_procedure' or 'com.example.error.invalid_input'. */
    error: string;
    /** Positional error payload; default []. */
    args: any[];
    /** Keyword error payload; default {}. */
    kwargs: Record<string, any>;
  }

  /** A call result with several values or keyword values; also returned by endpoints to send them. */
  class Result {
    /** Makes a result; args default to [], kwargs to {}. */
    constructor(args?: any[] | null, kwargs?: Record<string, any> | null);
    /** Positional results. */
    args: any[];
    /** Keyword results. */
    kwargs: Record<string, any>;
  }

  /** An acknowledged publication. */
  class Publication {
    /** Wraps a publication ID. */
    constructor(id: number);
    /** Publication ID assigned by the broker. */
    id: number;
  }

  /** The `details` of an event, passed to the `SubscribeHandler`. */
  class Event {
    /** Made by the session for each event. */
    constructor(
      publication: number,
      topic: string,
      publisher?: number,
      publisher_authid?: string,
      publisher_authrole?: string,
      retained?: boolean,
      forward_for?: any[]
    );
    /** Publication ID. */
    publication: number;
    /** Concrete topic (for pattern subscriptions the matched one, else the subscribed one). */
    topic: string;
    /** Publisher session ID, if disclosed. */
    publisher: number | undefined;
    /** Publisher authid, if disclosed. */
    publisher_authid: string | undefined;
    /** Publisher authrole, if disclosed. */
    publisher_authrole: string | undefined;
    /** True if this is the topic's retained event (delivered because of `get_retained`). */
    retained: boolean;
    /** Router-to-router forwarding chain, if any. */
    forward_for: any[] | undefined;
  }

  /** The `details` of an invocation, passed to the `Endpoint`. */
  class Invocation {
    /** Made by the session for each invocation. */
    constructor(
      procedure: string,
      progress: ((args?: any, kwargs?: Record<string, any>) => void) | null,
      caller?: number,
      caller_authid?: string,
      caller_authrole?: string,
      forward_for?: any[]
    );
    /** Concrete procedure called (for pattern registrations the matched one, else the registered one). */
    procedure: string;
    /**
     * Sends a progressive result (an array of args, a single value, or a `Result`) when the
     * caller asked for them (`receive_progress`), else null.
     */
    progress: ((args?: any, kwargs?: Record<string, any>) => void) | null;
    /** Caller session ID, if disclosed. */
    caller: number | undefined;
    /** Caller authid, if disclosed. */
    caller_authid: string | undefined;
    /** Caller authrole, if disclosed. */
    caller_authrole: string | undefined;
    /** Router-to-router forwarding chain, if any. */
    forward_for: any[] | undefined;
    /**
     * Aborted when the caller cancels the call (the router's INTERRUPT; `reason` is an
     * `autobahn.Error` 'wamp.error.canceled') or the session ends. Created on first access.
     * After a cancel, whatever the endpoint still returns is dropped.
     */
    readonly signal: AbortSignal;
    /**
     * For a progressive call invocation (the caller streams its input): the inputs after the
     * first, each `{args, kwargs, progress}`; the last has `progress: false`. Absent otherwise.
     */
    input?: AsyncIterable<{ args: any[]; kwargs: Record<string, any>; progress: boolean }>;
  }

  /** A subscription of one handler, resolved by `Session.subscribe()`. */
  class Subscription {
    /** Made by the session when the router confirms SUBSCRIBE. */
    constructor(
      topic: string,
      handler: SubscribeHandler,
      options: SubscribeOptions | null | undefined,
      session: Session,
      id: number
    );
    /** Topic (or pattern) subscribed to. */
    topic: string;
    /** The event handler. */
    handler: SubscribeHandler;
    /** Options given to `subscribe()`. */
    options: SubscribeOptions;
    /** The session it belongs to. */
    session: Session;
    /** WAMP subscription ID (shared by handlers of the same topic and options). */
    id: number;
    /** True until unsubscribed, revoked by the router, or the session ends. */
    active: boolean;
    /**
     * Resolves when the subscription ends: with undefined after `unsubscribe()`, the reason
     * (or null) when the router revoked it, the close reason when the session ended.
     */
    on_unsubscribe: AutobahnPromise<string | null | undefined>;
    /** Same as `session.unsubscribe(this)`. */
    unsubscribe(): AutobahnPromise<boolean>;
  }

  /** A registration, resolved by `Session.register()`. */
  class Registration {
    /** Made by the session when the router confirms REGISTER. */
    constructor(
      procedure: string,
      endpoint: Endpoint,
      options: RegisterOptions | null | undefined,
      session: Session,
      id: number
    );
    /** Procedure (or pattern) registered. */
    procedure: string;
    /** The endpoint. */
    endpoint: Endpoint;
    /** Options given to `register()`. */
    options: RegisterOptions;
    /** The session it belongs to. */
    session: Session;
    /** WAMP registration ID. */
    id: number;
    /** True until unregistered, revoked by the router, or the session ends. */
    active: boolean;
    /**
     * Resolves when the registration ends: with undefined after `unregister()`, the reason
     * (or null) when the router revoked it, the close reason when the session ended.
     */
    on_unregister: AutobahnPromise<string | null | undefined>;
    /** Same as `session.unregister(this)`. */
    unregister(): AutobahnPromise<void>;
  }

  // -------------------------------------------------------------------------------------------
  // Module members

  /** The bundled when.js library (minimal typing; its other functions are `any`). */
  interface When {
    /** Wraps a value or thenable in a when.js promise. */
    <T>(value: T | PromiseLike<T>): AutobahnPromise<T>;
    /** Makes a when.js deferred (`{promise, resolve, reject, notify}`). */
    defer<T = any>(): Deferred<T> & { promise: AutobahnPromise<T> };
    /** A promise resolved with the value. */
    resolve<T>(value: T | PromiseLike<T>): AutobahnPromise<T>;
    /** A promise rejected with the reason. */
    reject<T = never>(reason?: any): AutobahnPromise<T>;
    /** Resolves with all the values once every promise resolved. */
    all<T>(values: Array<T | PromiseLike<T>>): AutobahnPromise<T[]>;
    /** Other when.js functions. */
    [key: string]: any;
  }

  /** The bundled when.js library, as Autobahn|JS exports it. */
  const when: When;

  /** Version of this package; also reads as that string (`${autobahn.version}`), as Autobahn|JS's `version`. */
  const version: { (): string; [Symbol.toPrimitive](hint?: string): string };

  /** Serializer choices for the `serializers` option; the engine does the (de)serializing. */
  namespace serializer {
    class JSONSerializer {
      readonly SERIALIZER_ID: 'json';
      readonly BINARY: false;
    }
    class MsgpackSerializer {
      readonly SERIALIZER_ID: 'msgpack';
      readonly BINARY: true;
    }
    class CBORSerializer {
      readonly SERIALIZER_ID: 'cbor';
      readonly BINARY: true;
    }
  }

  /** Autobahn|JS's helper functions, with its semantics (the HTTP helpers use Node's fetch). */
  namespace util {
    /** Base64 text to bytes; null for an empty or missing input. */
    function atob(s: string | null | undefined): Uint8Array | null;
    /** Bytes to Base64 text; null for an empty or missing input. */
    function btoa(b: ArrayLike<number> | null | undefined): string | null;
    /** Bytes to lowercase hex text; null for an empty or missing input. */
    function btoh(bytes: ArrayLike<number> | null | undefined): string | null;
    /** Hex text to bytes; null for an empty or missing input; RangeError for an odd length. */
    function htob(hex: string | null | undefined): Uint8Array | null;
    /** A normally distributed random number (mean 0, sd 1 by default). */
    function rand_normal(mean?: number, sd?: number): number;
    /** True for any non-array object (functions too). */
    function is_object(variable: unknown): boolean;
    /** Throws `Error(text || 'Assertion failed!')` unless `cond` is truthy. */
    const assert: { (cond: unknown, text?: string): asserts cond; useDebugger: boolean };
    /** Adds to `base` the keys of the following objects it lacks (a last `true`: recursively); returns `base`. */
    function defaults<T extends object>(base: T, ...sources: Array<object | boolean | null | undefined>): T;
    /** `handler(error, error_message)`, or console.error without a handler. */
    function handle_error(
      handler: ((error: any, message?: string) => void) | null | undefined,
      error: any,
      error_message?: string
    ): void;
    /** A random WAMP global-scope id in [1, 2^53]. */
    function new_global_id(): number;
    /** The deferred factory for these options (when.js by default). */
    function deferred_factory(options?: { use_es6_promises?: boolean; use_deferred?: DeferFactory }): DeferFactory;
    /** The promise of a deferred (when.js, ES6), or the deferred itself when `promise` is a function (jQuery). */
    function promise<T>(d: Deferred<T>): PromiseLike<T> | Deferred<T>;
    function sleep(ms: number): Promise<void>;
    /** `func(...args)` as a promise: a throw becomes a rejection. */
    function as_promise<A extends any[], R>(func: (...args: A) => R, ...args: A): Promise<Awaited<R>>;
    /** The contents of a file. */
    function read_file(path: string): Promise<Buffer>;
    /** HTTP POST of JSON text: the response text (200) or undefined (204); rejects with `HttpFailure`. */
    function http_post(url: string, data?: string, timeout?: number): PromiseLike<string | undefined>;
    /** HTTP GET: the parsed JSON (200) or undefined (204); rejects with `HttpFailure`. */
    function http_get_json(url: string, timeout?: number): PromiseLike<any>;
    /** A failed HTTP request: the status and its text; `{code: 501, text: 'request timeout'}`; code 0 when unreachable. */
    interface HttpFailure {
      code: number;
      text: string | null;
    }
  }

  /** Autobahn|JS's log: `debug` prints its first argument as JSON when AUTOBAHN_DEBUG is set. */
  namespace log {
    function debug(...args: any[]): void;
    function warn(...args: any[]): void;
  }

  /** A built-in transport type's factory (the engine creates the transports; `create()` throws). */
  interface TransportFactory {
    new (options?: TransportOptions): { readonly type: string; create(): never };
  }

  /**
   * Autobahn|JS's transport registry: lists 'websocket' and 'rawsocket'. `register()` accepts only
   * a built-in type's own factory (custom transports are refused with a TypeError).
   */
  const transports: {
    register(name: string, factory: TransportFactory): void;
    isRegistered(name: string): boolean;
    /** Throws the string `no such transport: <name>` for other names. */
    get(name: string): TransportFactory;
    list(): string[];
  };

  /**
   * The npm packages Autobahn|JS bundles, when the application has them installed (loaded on first
   * use): msgpack5, cbor, tweetnacl. Without them, a stub whose every use throws an error naming
   * the package. Cast to the package's own type, e.g. `autobahn.cbor as typeof import('cbor')`.
   */
  const msgpack: unknown;
  const cbor: unknown;
  const nacl: unknown;

  /** Mozilla Persona authentication (obsolete): always throws. */
  function auth_persona(session: Session, user?: string, extra?: unknown): never;

  // -------------------------------------------------------------------------------------------
  // Authentication helpers (auth.js; the crypto runs in Rust). Errors never contain secrets.

  /** WAMP-CRA, byte-identical to Autobahn|JS `auth_cra`. */
  namespace auth_cra {
    /** Base64 text of PBKDF2-HMAC-SHA256(secret, salt); falsy iterations/keylen mean 1000 / 32. */
    function derive_key(secret: string, salt: string, iterations?: number, keylen?: number): string;
    /** Base64 HMAC-SHA256 of `challenge` keyed with the UTF-8 of `key` (the secret, or `derive_key`'s text). */
    function sign(key: string, challenge: string): string;
  }

  /** WAMP-Cryptosign (Ed25519), as Autobahn|JS `auth_cryptosign`. */
  namespace auth_cryptosign {
    /** tweetnacl's key pair shape; `secretKey` (seed ‖ publicKey) is not enumerable on ours. */
    interface KeyPair {
      publicKey: Uint8Array;
      secretKey: Uint8Array;
    }
    /** A key pair, or its 32-byte seed (bytes or 64 hex characters). */
    type KeyLike = KeyPair | Uint8Array | string;
    /** The key pair of a 32-byte seed (Buffer/Uint8Array or 64 hex characters). */
    function keypair_from_seed(seed: Uint8Array | string): KeyPair;
    /** A new random key pair. */
    function generate_keypair(): KeyPair;
    /** The public key as 64 hex characters (HELLO `authextra.pubkey`). */
    function public_key(keypair: KeyLike): string;
    /**
     * The AUTHENTICATE signature: 128 hex of the Ed25519 signature + 64 hex of the signed challenge.
     * `extra` is the CHALLENGE extra (`{challenge}`), a `{extra: {challenge}}` object or the hex challenge;
     * `channel_id` (32 bytes or 64 hex; not in Autobahn|JS) signs challenge XOR channel id.
     */
    function sign_challenge(
      keypair: KeyLike,
      extra: { challenge: string; channel_binding?: string | null } | { extra: { challenge: string } } | string,
      channel_id?: Uint8Array | string | null
    ): string;
    /** Autobahn|JS's create_connection options; other Connection options are passed on. */
    interface CreateConnectionConfig extends Omit<ConnectionOptions, 'authmethods' | 'authextra' | 'onchallenge'> {
      /** The key pair (`load_private_key`) or its seed. */
      pkey: KeyLike;
      activation_code?: string | null;
      request_new_activation_code?: boolean | null;
      /** Logs url, realm, authid, public key and serializers (never the seed). */
      debug?: boolean;
    }
    /**
     * A Connection (not opened) that authenticates with WAMP-Cryptosign only, as Autobahn|JS's:
     * authmethods ['cryptosign'], authextra `{pubkey, trustroot: null, challenge: null,
     * channel_binding: null, activation_code, request_new_activation_code}`.
     */
    function create_connection(config: CreateConnectionConfig): Connection;
    /**
     * The key pair stored under `name` in `$AUTOBAHN_KEY_DIR/<name>` (default `~/.autobahn/keys/<name>`;
     * a 0600 file holding the seed as hex); a new one is made and stored when there is none or with
     * `force_regenerate`. `name`: 1-128 of `[A-Za-z0-9._-]`, starting with a letter or digit.
     */
    function load_private_key(name: string, force_regenerate?: boolean): KeyPair;
    /** Overwrites and removes the key stored under `name`; nothing happens when there is none. */
    function delete_private_key(name: string): void;
  }

  /** WAMP-SCRAM as Crossbar.io speaks it (authmethod 'scram'); an addition to Autobahn|JS. */
  namespace auth_scram {
    /** CHALLENGE extra of a 'scram' challenge. */
    interface ChallengeExtra {
      nonce: string;
      salt: string;
      kdf: 'argon2id-13' | 'pbkdf2' | string;
      iterations: number;
      memory?: number;
      [key: string]: unknown;
    }
    /** A Crossbar.io static `scram` principal (add `role`). */
    interface Credential {
      kdf: string;
      iterations: number;
      memory: number;
      /** hex */
      salt: string;
      /** hex */
      'stored-key': string;
      /** hex */
      'server-key': string;
    }
    interface CredentialOptions {
      /** default 'argon2id-13' */
      kdf?: 'argon2id-13' | 'pbkdf2';
      /** default 4096 (argon2id-13) or 100000 (pbkdf2) */
      iterations?: number;
      /** Argon2 memory in KiB, default 512 */
      memory?: number;
      /** default: 16 random bytes */
      salt?: Uint8Array | string;
    }
    /** Base64 of 16 random bytes, for HELLO `authextra: {nonce}`. */
    function client_nonce(): string;
    /** The AUTHENTICATE signature (Base64 ClientProof); rejects on a bad challenge or argument. */
    function sign(password: string, authid: string, client_nonce: string, extra: ChallengeExtra): Promise<string>;
    /**
     * Whether WELCOME `authextra.scram_server_signature` (from onopen `details`, its `authextra`, or the
     * Base64 text) matches what `sign` computed for `client_nonce`. Throws if `sign` did not answer for it.
     */
    function verify_server_signature(
      client_nonce: string,
      welcome: { authextra?: { scram_server_signature?: string } } | { scram_server_signature?: string } | string
    ): boolean;
    /** The router-side credential for a password (same result as Autobahn|Python's derive_scram_credential). */
    function derive_credential(password: string, options?: CredentialOptions): Promise<Credential>;
    /** A Connection (not opened) that authenticates as `authid` with `password` (authmethods ['scram']). */
    function create_connection(
      config: Omit<ConnectionOptions, 'authmethods' | 'onchallenge'> & { authid: string; password: string }
    ): Connection;
  }

  // -------------------------------------------------------------------------------------------
  // The embedded router (for development, tests, demos and single-node use)

  /** What one permission allows; missing actions are not allowed. */
  interface RouterAllow {
    call?: boolean;
    register?: boolean;
    publish?: boolean;
    subscribe?: boolean;
  }

  /** One permission of a role, as in Crossbar.io. */
  interface RouterPermission {
    /** A URI, a prefix (`match: 'prefix'`, `''` matches everything) or a pattern with empty components (`'wildcard'`). */
    uri: string;
    /** Default 'exact'. */
    match?: 'exact' | 'prefix' | 'wildcard';
    allow?: RouterAllow;
    /** Disclose the caller to callees / the publisher to subscribers. */
    disclose?: { caller?: boolean; publisher?: boolean };
  }

  interface RouterRole {
    name: string;
    permissions?: RouterPermission[];
  }

  interface RouterRealm {
    /** A WAMP URI. */
    name: string;
    /** Default: role `anonymous`, allowed everything, caller and publisher disclosed. */
    roles?: RouterRole[];
  }

  /** What the router knows of one authid; which fields apply depends on the method. */
  interface RouterPrincipal {
    role?: string;
    /** Restricts the principal to one realm. */
    realm?: string;
    /** WELCOME.Details.authextra for this principal. */
    extra?: any;
    /** ticket */
    ticket?: string;
    /** wampcra: the secret, or with salt/iterations/keylen the PBKDF2 input. */
    secret?: string;
    salt?: string;
    iterations?: number;
    keylen?: number;
    /** cryptosign: hex Ed25519 public keys. */
    authorized_keys?: string[];
    /** scram (as Crossbar.io stores it; see `auth_scram.derive_credential`). */
    kdf?: 'argon2id-13' | 'pbkdf2';
    memory?: number;
    'stored-key'?: string;
    'server-key'?: string;
  }

  /** `static` with principals keyed by authid, or `dynamic` (`RouterOptions.authenticator` decides). */
  interface RouterMethodAuth {
    type?: 'static' | 'dynamic';
    principals?: Record<string, RouterPrincipal>;
  }

  /** A transport's authentication methods, in Crossbar.io's shapes. Without it: anonymous, role `anonymous`. */
  interface RouterAuth {
    anonymous?: { type?: 'static' | 'dynamic'; role?: string };
    ticket?: RouterMethodAuth;
    /** Crossbar.io's `users` is accepted for `principals`. */
    wampcra?: RouterMethodAuth & { users?: Record<string, RouterPrincipal> };
    cryptosign?: RouterMethodAuth;
    scram?: RouterMethodAuth;
  }

  interface RouterTransport {
    /** Default 'websocket'. 'universal': WebSocket and RawSocket on one port. */
    type?: 'websocket' | 'rawsocket' | 'universal';
    /** Default '127.0.0.1'. */
    host?: string;
    /** Default 0: a free port (see `Router.url` / `Router.transports` after start). */
    port?: number;
    /** A Unix domain socket path instead of host and port. */
    unix?: string;
    /** WebSocket path of the WAMP endpoint; default '/ws'. */
    path?: string;
    /** Default ['json', 'msgpack', 'cbor']. */
    serializers?: Array<'json' | 'msgpack' | 'cbor'>;
    /** PEM text or file paths (wss:// and RawSocket over TLS); with `ca`, clients must present a certificate signed by it. */
    tls?: { cert?: string; certificate?: string; key: string; ca?: string };
    /** Largest message accepted from a peer, in bytes (default 16 MiB). */
    max_message_size?: number;
    auth?: RouterAuth;
    /** More WAMP WebSocket paths on the same port, each with its own settings. */
    paths?: RouterPath[];
  }

  /** One more WAMP WebSocket path of a transport (like a second path of a Crossbar.io web transport). */
  interface RouterPath {
    path: string;
    serializers?: Array<'json' | 'msgpack' | 'cbor'>;
    max_message_size?: number;
    auth?: RouterAuth;
  }

  /** Details given to a dynamic authenticator: the method, and what the client sent for it. */
  interface RouterAuthDetails {
    authmethod: string;
    [key: string]: any;
  }

  interface RouterOptions {
    /** Default: one realm `realm1` whose role `anonymous` may do everything. */
    realms?: RouterRealm[];
    /** Default: one WebSocket transport on 127.0.0.1, a free port, path /ws, json/msgpack/cbor. */
    transports?: RouterTransport[];
    /** A HELLO for an unknown realm creates it (with `auto_realm_roles`) instead of ABORT no_such_realm. */
    auto_create_realms?: boolean;
    /** Roles of realms created on first use; default role `anonymous` allowed everything. */
    auto_realm_roles?: RouterRole[];
    /** Messages queued for one session before the router closes it (default 10000). */
    max_queued_messages?: number;
    /** Seconds from transport open to WELCOME (default 10). */
    join_timeout?: number;
    /**
     * Decides joins on methods with `type: 'dynamic'`, once per join: return a role name or a
     * principal (with `role`); throw or reject to deny (the message goes into the ABORT).
     */
    authenticator?: (
      realm: string,
      authid: string,
      details: RouterAuthDetails
    ) => string | RouterPrincipal | Promise<string | RouterPrincipal>;
    /** The router's log (sessions joining and leaving, warnings). Default: warnings and errors to stderr. */
    log?: ((level: 'info' | 'warn' | 'error', message: string) => void) | false;
  }

  interface RouterListening {
    type: 'websocket' | 'rawsocket' | 'universal';
    url: string;
  }

  /** The embedded WAMP router: routing runs in Rust on the engine's threads. */
  class Router {
    /** Throws TypeError / RangeError naming the offending option. */
    constructor(options?: RouterOptions);
    /**
     * Router options from a Crossbar.io node config (a path to config.json, its directory, or the
     * parsed object). What the embedded router does not do is named in one process warning
     * (code 'AUTOBAHN_ROUTER_CROSSBAR_CONFIG') and in `warnings`.
     */
    static fromCrossbarConfig(
      pathOrConfig: string | object,
      extra?: Pick<RouterOptions, 'authenticator' | 'log'>
    ): Router;
    /**
     * Resolves once every transport listens; rejects with code 'ROUTER_CONFIG', 'ROUTER_LISTEN',
     * 'ROUTER_TLS' (certificate, key or CA unusable) or 'ROUTER_STARTED' (already started). While started, the router keeps Node running.
     */
    start(): Promise<Router>;
    /** Ends every session (GOODBYE wamp.close.system_shutdown) and closes the listeners. */
    stop(): Promise<void>;
    /** ws:// (or wss://) URL of the first WebSocket-capable transport once started; null before. */
    readonly url: string | null;
    /** The listening transports once started; empty before. */
    readonly transports: RouterListening[];
    /** Parts of a Crossbar.io config that were ignored (fromCrossbarConfig); empty otherwise. */
    readonly warnings: string[];
    /** The normalised settings (a copy). */
    readonly config: object;
    readonly isRunning: boolean;
    /** Sessions currently joined (0 when not running). */
    readonly sessionCount: number;
  }

  // -------------------------------------------------------------------------------------------
  // Names used by DefinitelyTyped's @types/autobahn, for code written against it.

  /** Alias of `ConnectionOptions` (@types/autobahn name). */
  type IConnectionOptions = ConnectionOptions;
  /** Alias of `CallOptions` (@types/autobahn name). */
  type ICallOptions = CallOptions;
  /** Alias of `PublishOptions` (@types/autobahn name). */
  type IPublishOptions = PublishOptions;
  /** Alias of `SubscribeOptions` (@types/autobahn name). */
  type ISubscribeOptions = SubscribeOptions;
  /** Alias of `RegisterOptions` (@types/autobahn name). */
  type IRegisterOptions = RegisterOptions;
  /** Alias of `Endpoint` (@types/autobahn name). */
  type RegisterEndpoint = Endpoint;
}

declare global {
  /** Set to true before `require('autobahn')` (or before `open()`) to log every WAMP message; secrets are redacted. */
  // eslint-disable-next-line no-var
  var AUTOBAHN_DEBUG: boolean | undefined;
}
