// The napi-rs name of this platform (`linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`, ...): the
// suffix of the addon file `autobahn.<platform>.node` and of the package `autobahn-<platform>`
// that carries the prebuilt addon (native.js looks for both under these names).
'use strict';

function isMusl() {
  // No network section in the report: it would resolve host names.
  if (process.report) process.report.excludeNetwork = true;
  const report = process.report && typeof process.report.getReport === 'function' ? process.report.getReport() : null;
  // glibc reports its version; a musl Node reports none.
  return !(report && report.header && report.header.glibcVersionRuntime);
}

function platformName(platform = process.platform, arch = process.arch) {
  switch (platform) {
    case 'linux':
      if (arch === 'arm') return `linux-arm-${isMusl() ? 'musleabihf' : 'gnueabihf'}`;
      return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
    case 'win32':
      return `win32-${arch}-msvc`;
    default:
      return `${platform}-${arch}`;
  }
}

module.exports = { platformName };
