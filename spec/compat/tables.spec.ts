import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  CONFIG_BY_NAME,
  CONFIG_SETTINGS,
  CertStoreType,
  DataFormat,
  ERROR_CODE_BY_NODE_CODE,
  ERROR_MESSAGES,
  ERRORS,
  ErrorCode,
  EVENTS,
  EventId,
  METHODS,
  MethodId,
  PACKAGE_VERSION,
  PROPERTIES,
  PropertyId,
  configSetting,
  errorInfo,
  errorMessage,
  eventInfo,
  methodInfo,
  propertyInfo,
  toJSON,
} from '../../compat/ids';

// Facts below are typed in by hand from the reference (wsserver-php-reference.txt), independently of
// tools/api/wsserver.json, so that a slip in the description shows up here.

/** Every property of the reference: [id, name, default]. */
const REFERENCE_PROPERTIES: Array<[number, string, number | boolean | string]> = [
  [1, 'ConnectionBacklog', 5],
  [2, 'WSConnectionCount', 0],
  [3, 'WSConnectionAcceptData', true],
  [4, 'WSConnectionBytesSent', 0],
  [5, 'WSConnectionConnected', false],
  [6, 'WSConnectionConnectionId', ''],
  [7, 'WSConnectionDataFormat', 0],
  [8, 'WSConnectionDataToSend', ''],
  [9, 'WSConnectionHost', ''],
  [10, 'WSConnectionLineMode', false],
  [11, 'WSConnectionLocalAddress', ''],
  [12, 'WSConnectionOrigin', ''],
  [13, 'WSConnectionReadyToSend', false],
  [14, 'WSConnectionRemoteHost', ''],
  [15, 'WSConnectionRemotePort', 0],
  [16, 'WSConnectionRequestHeaders', ''],
  [17, 'WSConnectionRequestURI', ''],
  [18, 'WSConnectionSubProtocols', ''],
  [19, 'WSConnectionTimeout', 0],
  [21, 'DefaultTimeout', 0],
  [22, 'Listening', false],
  [23, 'LocalHost', ''],
  [24, 'LocalPort', 0],
  [25, 'SSLAuthenticateClients', false],
  [27, 'SSLCertEncoded', ''],
  [43, 'SSLCertStore', 'MY'],
  [44, 'SSLCertStorePassword', ''],
  [45, 'SSLCertStoreType', 0],
  [46, 'SSLCertSubject', ''],
];

/** Access of the reference's properties where it is not read-write ("This property is read-only/write-only"). */
const NOT_READ_WRITE: Record<string, 'ro' | 'wo'> = {
  WSConnectionCount: 'ro',
  WSConnectionBytesSent: 'ro',
  WSConnectionConnectionId: 'ro',
  WSConnectionDataToSend: 'wo',
  WSConnectionHost: 'ro',
  WSConnectionLineMode: 'ro',
  WSConnectionLocalAddress: 'ro',
  WSConnectionOrigin: 'ro',
  WSConnectionReadyToSend: 'ro',
  WSConnectionRemoteHost: 'ro',
  WSConnectionRemotePort: 'ro',
  WSConnectionRequestHeaders: 'ro',
  WSConnectionRequestURI: 'ro',
  WSConnectionSubProtocols: 'ro',
};

/** Every event of the reference: [id, name, parameter keys in order, out-parameters]. */
const REFERENCE_EVENTS: Array<[number, string, string[], string[]]> = [
  [1, 'Connected', ['connectionid'], []],
  [2, 'ConnectionRequest', ['address', 'port', 'accept'], ['accept']],
  [3, 'DataIn', ['connectionid', 'dataformat', 'text', 'eom', 'eol'], []],
  [4, 'Disconnected', ['connectionid', 'statuscode', 'description'], []],
  [5, 'Error', ['connectionid', 'errorcode', 'description'], []],
  [6, 'Log', ['connectionid', 'loglevel', 'message', 'logtype'], []],
  [7, 'Ping', ['connectionid', 'payload', 'response'], []],
  [8, 'ReadyToSend', ['connectionid'], []],
  [9, 'SSLClientAuthentication', ['connectionid', 'certencoded', 'certsubject', 'certissuer', 'status', 'accept'], ['accept']],
  [
    10,
    'SSLConnectionRequest',
    ['connectionid', 'supportedciphersuites', 'supportedsignaturealgs', 'certstoretype', 'certstore', 'certpassword', 'certsubject'],
    ['certstoretype', 'certstore', 'certpassword', 'certsubject'],
  ],
  [11, 'SSLStatus', ['connectionid', 'message'], []],
  [
    12,
    'WebSocketOpenRequest',
    ['connectionid', 'requesturi', 'hostheader', 'originheader', 'subprotocols', 'extensions', 'requestheaders', 'statuscode', 'responseheaders'],
    ['subprotocols', 'statuscode', 'responseheaders'],
  ],
];

/** The reference's methods with their parameter keys, plus the two of newer builds. */
const REFERENCE_METHODS: Array<[string, string[]]> = [
  ['ChangeLineMode', ['connectionid', 'linemode']],
  ['Config', ['configurationstring']],
  ['Disconnect', ['connectionid']],
  ['DoEvents', []],
  ['Interrupt', ['connectionid']],
  ['PauseData', ['connectionid']],
  ['Ping', ['connectionid']],
  ['ProcessData', ['connectionid']],
  ['Send', ['connectionid', 'data']],
  ['SendBytes', ['connectionid', 'data']],
  ['SendFile', ['connectionid', 'filename']],
  ['SendText', ['connectionid', 'text']],
  ['Shutdown', []],
  ['StartListening', []],
  ['StopListening', []],
];

/** A sample of the reference's error table, exact text. */
const REFERENCE_ERRORS: Array<[number, string]> = [
  [4202, 'Error sending data to the connected client.'],
  [104, 'SSLServer is already listening.'],
  [106, 'Cannot change LocalPort when SSLServer is listening.'],
  [112, 'You cannot change MaxLineLength at this time. A connection is in progress.'],
  [126, 'Invalid ConnectionId.'],
  [135, 'Operation would block.'],
  [271, 'Cannot open certificate store.'],
  [276, 'Error during handshake.'],
  [284, 'Error decrypting data.'],
  [10035, '[10035] Operation would block.'],
  [10048, '[10048] Address already in use.'],
  [10049, "[10049] Can't assign requested address."],
  [10066, '[10066] Directory not empty'],
  [11002, "[11002] Non-authoritative 'Host not found' (try again or check DNS setup)."],
  [11003, '[11003] Non-recoverable errors: FORMERR, REFUSED, NOTIMP.'],
  [11004, '[11004] Valid name, no data record (check DNS setup).'],
];

/** Every code of the reference's error table (its last row is 11004). */
const REFERENCE_CODES = [
  4202, 100, 101, 102, 104, 106, 107, 108, 112, 116, 126, 135, 270, 271, 272, 273, 274, 275, 276, 280, 281, 282, 283, 284,
  10004, 10009, 10013, 10014, 10022, 10024, 10035, 10036, 10037, 10038, 10039, 10040, 10041, 10042, 10043, 10044, 10045,
  10046, 10047, 10048, 10049, 10050, 10051, 10052, 10053, 10054, 10055, 10056, 10057, 10058, 10059, 10060, 10061, 10062,
  10063, 10064, 10065, 10066, 10067, 10068, 10069, 10070, 10071, 10091, 10092, 10093, 11001, 11002, 11003, 11004,
];

/** Our codes: the engine codes against exactly these. */
const OUR_ERRORS: Array<[number, string, string]> = [
  [601, 'InvalidHandle', 'Invalid handle.'],
  [602, 'UnknownProperty', 'Unknown property ID.'],
  [603, 'ReadOnlyProperty', 'Property is read-only.'],
  [604, 'WriteOnlyProperty', 'Property is write-only.'],
  [605, 'InvalidValue', 'Invalid value.'],
  [606, 'UnknownConfig', 'Unknown configuration setting.'],
  [607, 'ReadOnlyConfig', 'Configuration setting is read-only.'],
  [608, 'InvalidConfigValue', 'Invalid configuration setting value.'],
  [609, 'Timeout', 'Timeout.'],
  [610, 'Interrupted', 'Operation interrupted.'],
  [611, 'UnknownEvent', 'Unknown event ID.'],
  [612, 'UnsupportedCodePage', 'Unsupported code page.'],
  [613, 'FileError', 'Cannot read file.'],
  [614, 'ConnectionClosed', 'The connection is closed.'],
  [615, 'CallbackError', 'An event handler threw an exception.'],
  [616, 'InvalidArgument', 'Invalid argument.'],
  [618, 'HandshakeFailed', 'WebSocket handshake failed.'],
  [619, 'ProtocolViolation', 'WebSocket protocol violation by the client.'],
];

/** Setting defaults: from the reference where it states one, otherwise as decided for this project. */
const SETTING_DEFAULTS: Array<[string, number | boolean | string]> = [
  ['BufferMessage', false],
  ['DisconnectStatusCode', 1000],
  ['DisconnectStatusDescription', ''],
  ['EnablePermessageDeflate', true],
  ['MaxFrameSize', 262144],
  ['MaxLineLength', 2048],
  ['MessageLength', 0],
  ['WaitForCloseResponse', true],
  ['AllowedClients', ''],
  ['BindExclusively', true],
  ['BlockedClients', ''],
  ['DefaultConnectionTimeout', 0],
  ['InBufferSize', 65536],
  ['OutBufferSize', 1048576],
  ['KeepAliveTime', 0],
  ['KeepAliveInterval', 0],
  ['KeepAliveRetryCount', 0],
  ['MaxConnections', 1000],
  ['MaxReadTime', 50],
  ['TcpNoDelay', false],
  ['UseIOCP', false],
  ['UseIPv6', 0],
  ['UseWindowsMessages', false],
  ['LogSSLPackets', false],
  ['OpenSSLCADir', ''],
  ['OpenSSLCAFile', ''],
  ['OpenSSLCipherList', 'DEFAULT'],
  ['OpenSSLPrngSeedData', ''],
  ['ReuseSSLSession', false],
  ['SSLCACertFilePaths', '/etc/ssl/ca-bundle.pem;/etc/pki/tls/certs/ca-bundle.crt;/etc/ssl/certs/ca-certificates.crt;/etc/pki/tls/cacert.pem'],
  ['SSLCACerts', ''],
  ['SSLCheckCRL', 0],
  ['SSLCheckOCSP', 0],
  ['SSLCipherStrength', 0],
  ['SSLEnabledCipherSuites', '*'],
  ['SSLEnabledProtocols', 4032],
  ['SSLEnableRenegotiation', true],
  ['SSLIncludeCertChain', false],
  ['SSLKeyLogFile', ''],
  ['SSLSecurityFlags', 0],
  ['SSLServerCACerts', ''],
  [
    'TLS12SignatureAlgorithms',
    'sha512-ecdsa,sha512-rsa,sha512-dsa,sha384-ecdsa,sha384-rsa,sha384-dsa,sha256-ecdsa,sha256-rsa,sha256-dsa,sha224-ecdsa,sha224-rsa,sha224-dsa,sha1-ecdsa,sha1-rsa,sha1-dsa',
  ],
  ['TLS12SupportedGroups', 'ecdhe_secp256r1,ecdhe_secp384r1,ecdhe_secp521r1'],
  ['TLS13KeyShareGroups', 'ecdhe_x25519,ecdhe_secp256r1,ecdhe_secp384r1,ffdhe_2048,ffdhe_3072'],
  [
    'TLS13SignatureAlgorithms',
    'ed25519,ed448,ecdsa_secp256r1_sha256,ecdsa_secp384r1_sha384,ecdsa_secp521r1_sha512,rsa_pkcs1_sha256,rsa_pkcs1_sha384,rsa_pkcs1_sha512,rsa_pss_sha256,rsa_pss_sha384,rsa_pss_sha512',
  ],
  [
    'TLS13SupportedGroups',
    'ecdhe_x25519,ecdhe_x448,ecdhe_secp256r1,ecdhe_secp384r1,ecdhe_secp521r1,ffdhe_2048,ffdhe_3072,ffdhe_4096,ffdhe_6144,ffdhe_8192',
  ],
  ['BuildInfo', ''],
  ['CodePage', 65001],
  ['LicenseInfo', ''],
  ['MaskSensitive', false],
  ['ProcessIdleEvents', false],
  ['SelectWaitMillis', 20],
  ['UseFIPSCompliantAPI', false],
  ['UseInternalSecurityAPI', true],
  ['LogLevel', 1],
  ['MaxMessageSize', 104857600],
  ['MaxHeaderSize', 16384],
  ['HandshakeTimeout', 30],
  ['MaxHandshakesPerAddress', 0],
  ['ShutdownTimeout', 0],
  ['MetricsPort', 0],
  ['ProxyProtocol', 0],
  ['TrustedProxies', ''],
  ['HealthCheckPath', ''],
  ['UseSSL', ''],
  ['SSLLocalCRLs', ''],
  // The budgets and deflate memory settings (docs/LIMITS.md gives these defaults beside ws's and uWS's).
  ['MaxMessageFragments', 100000],
  ['MaxQueuedEvents', 1024],
  ['MaxQueuedOutput', 268435456],
  ['DeflateThreshold', 64],
  ['DeflateLevel', 1],
  ['DeflateMemLevel', 8],
  ['DeflateServerMaxWindowBits', 15],
  ['DeflateClientMaxWindowBits', 15],
  ['DeflateServerNoContextTakeover', false],
  ['DeflateClientNoContextTakeover', false],
];

/** The reference's setting list (names without [ConnectionId]). */
const REFERENCE_SETTING_NAMES = [
  'BufferMessage', 'DisconnectStatusCode', 'DisconnectStatusDescription', 'EnablePermessageDeflate', 'MaxFrameSize',
  'MaxLineLength', 'MessageLength', 'WaitForCloseResponse', 'AllowedClients', 'BindExclusively', 'BlockedClients',
  'ConnectionUID', 'DefaultConnectionTimeout', 'InBufferSize', 'KeepAliveInterval', 'KeepAliveRetryCount', 'KeepAliveTime',
  'MaxConnections', 'MaxReadTime', 'OutBufferSize', 'TcpNoDelay', 'UseIOCP', 'UseIPv6', 'UseWindowsMessages', 'LogSSLPackets',
  'OpenSSLCADir', 'OpenSSLCAFile', 'OpenSSLCipherList', 'OpenSSLPrngSeedData', 'ReuseSSLSession', 'SSLCACertFilePaths',
  'SSLCACerts', 'SSLCheckCRL', 'SSLCheckOCSP', 'SSLCipherStrength', 'SSLEnabledCipherSuites', 'SSLEnabledProtocols',
  'SSLEnableRenegotiation', 'SSLIncludeCertChain', 'SSLKeyLogFile', 'SSLNegotiatedCipher', 'SSLNegotiatedCipherStrength',
  'SSLNegotiatedCipherSuite', 'SSLNegotiatedKeyExchange', 'SSLNegotiatedKeyExchangeStrength', 'SSLNegotiatedVersion',
  'SSLSecurityFlags', 'SSLServerCACerts', 'TLS12SignatureAlgorithms', 'TLS12SupportedGroups', 'TLS13KeyShareGroups',
  'TLS13SignatureAlgorithms', 'TLS13SupportedGroups', 'BuildInfo', 'CodePage', 'LicenseInfo', 'MaskSensitive',
  'ProcessIdleEvents', 'SelectWaitMillis', 'UseFIPSCompliantAPI', 'UseInternalSecurityAPI',
];

const SSL_NEGOTIATED = [
  'SSLNegotiatedCipher',
  'SSLNegotiatedCipherStrength',
  'SSLNegotiatedCipherSuite',
  'SSLNegotiatedKeyExchange',
  'SSLNegotiatedKeyExchangeStrength',
  'SSLNegotiatedVersion',
];

function duplicates<T>(values: readonly T[]): T[] {
  const seen = new Set<T>();
  const twice: T[] = [];
  for (const v of values) {
    if (seen.has(v)) twice.push(v);
    seen.add(v);
  }
  return twice;
}

function packageVersion(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'tools', 'gen-api.mjs'))) dir = dirname(dir);
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
}

describe('compat/ids tables', () => {
  describe('properties', () => {
    it('has unique IDs and names, sorted by ID', () => {
      const ids = PROPERTIES.map((p) => p.id);
      expect(duplicates(ids)).to.deep.equal([]);
      expect(duplicates(PROPERTIES.map((p) => p.name))).to.deep.equal([]);
      expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
      expect(PROPERTIES).to.have.length(31);
    });

    for (const [id, name, value] of REFERENCE_PROPERTIES) {
      it(`${id} ${name}: present with the reference's default ${JSON.stringify(value)}`, () => {
        expect(PropertyId[name as keyof typeof PropertyId]).to.equal(id);
        const p = propertyInfo(id);
        expect(p?.name).to.equal(name);
        expect(p?.default).to.equal(value);
        expect(p?.access).to.equal(NOT_READ_WRITE[name] ?? 'rw');
        expect(p?.perConnection).to.equal(name.startsWith('WSConnection') && name !== 'WSConnectionCount');
        expect(p?.origin).to.equal('reference');
      });
    }

    it('adds Version (0, read-only string) and RuntimeLicense (2011, read-write string)', () => {
      expect(propertyInfo(0)).to.include({ name: 'Version', type: 'string', access: 'ro', perConnection: false, computed: true });
      expect(propertyInfo(2011)).to.include({ name: 'RuntimeLicense', type: 'string', access: 'rw', default: '' });
    });

    it('round-trips name <-> ID for every row', () => {
      for (const p of PROPERTIES) {
        expect(PropertyId[p.name], p.name).to.equal(p.id);
        expect(propertyInfo(p.id), p.name).to.equal(p);
      }
      expect(Object.keys(PropertyId)).to.have.length(PROPERTIES.length);
      expect(propertyInfo(20)).to.equal(undefined);
    });

    it('types byte-valued properties as binary', () => {
      const binary = PROPERTIES.filter((p) => p.type === 'binary').map((p) => p.name);
      expect(binary).to.deep.equal(['WSConnectionDataToSend', 'SSLCertEncoded', 'SSLCertStore']);
    });

    it('exports the DataFormat and CertStoreType values', () => {
      expect(DataFormat).to.deep.equal({ dfAutomatic: 0, dfText: 1, dfBinary: 2, dfPing: 9, dfPong: 10 });
      expect(CertStoreType.cstPFXFile).to.equal(2);
      expect(CertStoreType.cstPEMKeyBlob).to.equal(7);
      expect(CertStoreType.cstAuto).to.equal(99);
      expect(Object.keys(CertStoreType)).to.have.length(24);
    });
  });

  describe('events', () => {
    it('has IDs 1..12 without duplicates', () => {
      expect(EVENTS.map((e) => e.id)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      expect(duplicates(EVENTS.map((e) => e.name))).to.deep.equal([]);
    });

    for (const [id, name, keys, outs] of REFERENCE_EVENTS) {
      it(`${id} ${name}: the reference's parameter keys in order, out-parameters ${outs.join(', ') || 'none'}`, () => {
        expect(EventId[name as keyof typeof EventId]).to.equal(id);
        const e = eventInfo(id);
        expect(e?.name).to.equal(name);
        expect(e?.php).to.equal(`fire${name}`);
        expect(e?.params.map((p) => p.name)).to.deep.equal(keys);
        expect(e?.params.filter((p) => p.out).map((p) => p.name)).to.deep.equal(outs);
      });
    }

    it('gives exactly the byte-valued parameters a b-suffixed Buffer twin', () => {
      const twins: string[] = [];
      for (const e of EVENTS) {
        for (const p of e.params) {
          if (p.bufferTwin !== undefined) twins.push(`${e.name}.${p.name}->${p.bufferTwin}/${p.modernBufferTwin}`);
          expect(p.bufferTwin !== undefined, `${e.name}.${p.name}`).to.equal(p.type === 'binary');
        }
      }
      expect(twins).to.deep.equal([
        'DataIn.text->textb/textB',
        'Ping.payload->payloadb/payloadB',
        'SSLClientAuthentication.certencoded->certencodedb/certEncodedB',
      ]);
    });

    it('marks subprotocols and the two accept parameters as in/out, the other out-parameters as out only', () => {
      const inOut = EVENTS.flatMap((e) => e.params.filter((p) => p.out && p.in).map((p) => `${e.name}.${p.name}`));
      expect(inOut).to.deep.equal(['ConnectionRequest.accept', 'SSLClientAuthentication.accept', 'WebSocketOpenRequest.subprotocols']);
    });

    it('names the modern event fields in camelCase', () => {
      const dataIn = eventInfo(EventId.DataIn);
      expect(dataIn?.params.map((p) => p.modern)).to.deep.equal(['connectionId', 'dataFormat', 'text', 'eom', 'eol']);
      const open = eventInfo(EventId.WebSocketOpenRequest);
      expect(open?.params.map((p) => p.modern)).to.deep.equal([
        'connectionId', 'requestURI', 'hostHeader', 'originHeader', 'subProtocols', 'extensions', 'requestHeaders',
        'statusCode', 'responseHeaders',
      ]);
    });
  });

  describe('methods', () => {
    it('numbers the methods 1..15 in alphabetical order, marked as our numbering', () => {
      expect(METHODS.map((m) => m.name)).to.deep.equal(REFERENCE_METHODS.map(([name]) => name));
      expect(METHODS.map((m) => m.id)).to.deep.equal(REFERENCE_METHODS.map((_, i) => i + 1));
      for (const m of METHODS) expect(m.idOrigin, m.name).to.equal('wsserver-compat');
    });

    for (const [name, params] of REFERENCE_METHODS) {
      it(`${name}(${params.join(', ')})`, () => {
        const m = methodInfo(MethodId[name as keyof typeof MethodId]);
        expect(m?.name).to.equal(name);
        expect(m?.params.map((p) => p.name)).to.deep.equal(params);
        expect(m?.async).to.equal(name !== 'Config');
        expect(m?.returns).to.equal(name === 'Config' ? 'string' : 'void');
        expect(m?.procedural).to.equal(`ipworksssl_wsserver_do_${name.toLowerCase()}`);
        expect(m?.origin).to.equal(name === 'PauseData' || name === 'ProcessData' ? 'newer builds' : 'reference');
      });
    }

    it('keeps the reference object interface names, doEvents included', () => {
      expect(methodInfo(MethodId.DoEvents)?.php).to.equal('doEvents');
      expect(methodInfo(MethodId.SendText)?.php).to.equal('doSendText');
      expect(methodInfo(MethodId.StartListening)?.modern).to.equal('startListening');
    });
  });

  describe('configuration settings', () => {
    it('has unique names (case-insensitively) and a lower-case index over all of them', () => {
      const keys = CONFIG_SETTINGS.map((s) => s.name.toLowerCase());
      expect(duplicates(keys)).to.deep.equal([]);
      expect(Object.keys(CONFIG_BY_NAME).sort()).to.deep.equal([...keys].sort());
      for (const s of CONFIG_SETTINGS) {
        expect(CONFIG_BY_NAME[s.name.toLowerCase()], s.name).to.equal(s);
        expect(configSetting(s.name.toUpperCase()), s.name).to.equal(s);
      }
    });

    /** The budgets of engine v2 and the permessage-deflate knobs (see docs/LIMITS.md). */
    const BUDGET_SETTINGS = [
      'MaxMessageFragments',
      'MaxQueuedEvents',
      'MaxQueuedOutput',
      'DeflateThreshold',
      'DeflateLevel',
      'DeflateMemLevel',
      'DeflateServerMaxWindowBits',
      'DeflateClientMaxWindowBits',
      'DeflateServerNoContextTakeover',
      'DeflateClientNoContextTakeover',
    ];

    it('lists every setting of the reference, and ours besides', () => {
      const listed = CONFIG_SETTINGS.filter((s) => s.origin === 'reference').map((s) => s.name);
      expect(listed).to.deep.equal(REFERENCE_SETTING_NAMES);
      const ours = CONFIG_SETTINGS.filter((s) => s.origin === 'ours').map((s) => s.name);
      expect(ours).to.deep.equal([
        'LogLevel',
        'MaxMessageSize',
        ...BUDGET_SETTINGS,
        'MaxHeaderSize',
        'HandshakeTimeout',
        'MaxHandshakesPerAddress',
        'UseSSL',
        'SSLLocalCRLs',
        'ShutdownTimeout',
        'MetricsPort',
        'ProxyProtocol',
        'TrustedProxies',
        'HealthCheckPath',
      ]);
    });

    it('has a default written down here for every writable setting, so a new one cannot skip this check', () => {
      const listed = new Set(SETTING_DEFAULTS.map(([name]) => name));
      const missing = CONFIG_SETTINGS.filter((s) => !s.readOnly && !listed.has(s.name)).map((s) => s.name);
      expect(missing).to.deep.equal([]);
    });

    for (const [name, value] of SETTING_DEFAULTS) {
      it(`${name} defaults to ${JSON.stringify(value)}`, () => {
        const s = configSetting(name);
        expect(s?.name).to.equal(name);
        expect(s?.default).to.equal(value);
        expect(s?.type).to.equal(typeof value === 'number' ? 'integer' : typeof value);
      });
    }

    it('marks exactly MaxLineLength, MessageLength, ConnectionUID and SSLNegotiated* as per connection', () => {
      const perConnection = CONFIG_SETTINGS.filter((s) => s.perConnection).map((s) => s.name);
      expect(perConnection).to.deep.equal(['MaxLineLength', 'MessageLength', 'ConnectionUID', ...SSL_NEGOTIATED]);
    });

    it('marks exactly ConnectionUID, SSLNegotiated*, BuildInfo and LicenseInfo as read-only', () => {
      const readOnly = CONFIG_SETTINGS.filter((s) => s.readOnly).map((s) => s.name);
      expect(readOnly).to.deep.equal(['ConnectionUID', ...SSL_NEGOTIATED, 'BuildInfo', 'LicenseInfo']);
    });

    const ranges: Array<[string, number, number]> = [
      ['MaxLineLength', 256, 65536],
      ['MaxConnections', 1, 100000],
      ['UseIPv6', 0, 2],
      ['LogLevel', 0, 3],
    ];
    for (const [name, min, max] of ranges) {
      it(`${name} accepts ${min}..${max}`, () => {
        expect(configSetting(name)).to.include({ min, max });
      });
    }

    it('resolves no setting through the object prototype', () => {
      expect(configSetting('constructor')).to.equal(undefined);
      expect(configSetting('toString')).to.equal(undefined);
      expect(configSetting('__proto__')).to.equal(undefined);
    });
  });

  describe('errors', () => {
    it('has unique codes and names, sorted by code, and a message for each', () => {
      const codes = ERRORS.map((e) => e.code);
      expect(duplicates(codes)).to.deep.equal([]);
      expect(duplicates(ERRORS.map((e) => e.name))).to.deep.equal([]);
      expect(codes).to.deep.equal([...codes].sort((a, b) => a - b));
      expect(Object.keys(ERROR_MESSAGES).map(Number)).to.deep.equal(codes);
    });

    it('contains every code of the reference and ours, and nothing else', () => {
      const expected = [...REFERENCE_CODES, ...OUR_ERRORS.map(([code]) => code)].sort((a, b) => a - b);
      expect(ERRORS.map((e) => e.code)).to.deep.equal(expected);
    });

    for (const [code, message] of REFERENCE_ERRORS) {
      it(`${code}: "${message}"`, () => {
        expect(errorMessage(code)).to.equal(message);
        expect(ERROR_MESSAGES[code]).to.equal(message);
      });
    }

    for (const [code, name, message] of OUR_ERRORS) {
      it(`ours: ${code} ${name}`, () => {
        expect(ErrorCode[name as keyof typeof ErrorCode]).to.equal(code);
        expect(errorInfo(code)).to.include({ name, message, group: 'ours', source: 'ours' });
      });
    }

    for (const code of REFERENCE_CODES.filter((c) => c >= 10004)) {
      it(`${code}: the socket error message starts with [${code}]`, () => {
        expect(errorMessage(code).startsWith(`[${code}] `)).to.equal(true);
        expect(errorInfo(code)?.group).to.equal('TCP/IP');
      });
    }

    it('uses the agreed names for the codes the engine raises most', () => {
      expect(ErrorCode).to.include({
        AlreadyListening: 104,
        LocalPortWhileListening: 106,
        LocalHostWhileListening: 107,
        MaxConnectionsWhileListening: 108,
        MaxLineLengthWhileConnected: 112,
        InvalidConnectionId: 126,
        WouldBlock: 10035,
        AddressInUse: 10048,
        AccessDenied: 10013,
        ConnectionReset: 10054,
        TimedOut: 10060,
        AddressNotAvailable: 10049,
        TooManyOpenFiles: 10024,
        SendError: 4202,
        CannotOpenCertStore: 271,
        CannotFindCertificate: 272,
      });
    });

    it('takes every non-ours code from the reference', () => {
      for (const e of ERRORS) expect(e.source, String(e.code)).to.equal(e.group === 'ours' ? 'ours' : 'reference');
      expect(errorInfo(11004)).to.include({ source: 'reference', group: 'TCP/IP' });
    });

    it('maps Node.js error codes onto the table', () => {
      expect(ERROR_CODE_BY_NODE_CODE['EADDRINUSE']).to.equal(10048);
      expect(ERROR_CODE_BY_NODE_CODE['ECONNRESET']).to.equal(10054);
      expect(ERROR_CODE_BY_NODE_CODE['EACCES']).to.equal(10013);
      expect(ERROR_CODE_BY_NODE_CODE['ETIMEDOUT']).to.equal(10060);
      for (const [nodeCode, code] of Object.entries(ERROR_CODE_BY_NODE_CODE)) {
        expect(errorInfo(code)?.nodeCodes, nodeCode).to.include(nodeCode);
      }
    });

    it('returns the fallback for a code outside the table', () => {
      expect(errorMessage(99999)).to.equal('');
      expect(errorMessage(99999, 'Unknown error.')).to.equal('Unknown error.');
      expect(errorInfo(0)).to.equal(undefined);
    });
  });

  describe('immutability and JSON form', () => {
    it('freezes the tables down to nested rows', () => {
      for (const t of [PROPERTIES, EVENTS, METHODS, CONFIG_SETTINGS, ERRORS, ERROR_MESSAGES, CONFIG_BY_NAME, PropertyId, ErrorCode]) {
        expect(Object.isFrozen(t)).to.equal(true);
      }
      expect(Object.isFrozen(PROPERTIES[0])).to.equal(true);
      expect(Object.isFrozen(EVENTS[2]?.params[2])).to.equal(true);
      expect(Object.isFrozen(propertyInfo(PropertyId.SSLCertStoreType)?.values)).to.equal(true);
      expect(Reflect.set(PROPERTIES[1] ?? {}, 'default', 99)).to.equal(false);
      expect(propertyInfo(1)?.default).to.equal(5);
    });

    it('toJSON() returns one serialisable object with every table and the package version', () => {
      const json = toJSON();
      expect(Object.keys(json)).to.deep.equal(['version', 'properties', 'events', 'methods', 'configSettings', 'errors']);
      expect(json.version).to.equal(packageVersion());
      expect(json.version).to.equal(PACKAGE_VERSION);
      expect(JSON.parse(JSON.stringify(json))).to.deep.equal(json);
      expect(json.properties).to.deep.equal(PROPERTIES);
      expect(json.events).to.deep.equal(EVENTS);
      expect(json.methods).to.deep.equal(METHODS);
      expect(json.configSettings).to.deep.equal(CONFIG_SETTINGS);
      expect(json.errors).to.deep.equal(ERRORS);
    });

    it('toJSON() hands out a copy that can be changed without touching the tables', () => {
      const json = toJSON();
      const first = json.properties[1];
      expect(first).to.not.equal(undefined);
      (first as { default: unknown }).default = 99;
      expect(propertyInfo(1)?.default).to.equal(5);
      expect(toJSON().properties[1]?.default).to.equal(5);
    });
  });
});
