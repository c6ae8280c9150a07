// The version tapfleet reports (manifests, host info, --version).
export const VERSION = '0.1.0';
// The SystemTap language version tapfleet implements (systemtap_v in %( %)).
export const SYSTEMTAP_LANGUAGE_VERSION = '4.8';
