// /docs: renders this gateway's own OpenAPI document with the vendored Scalar bundle
// (/assets/vendor/scalar/standalone.js, loaded just before this file). A file rather than an
// inline script, so the page's CSP can stay `script-src 'self'`.
// Everything that would reach a third party is switched off: the hosted API client link, the AI
// agent, telemetry, the developer tools bar and the default web fonts. The in-page request client
// is hidden too: the reference shows each request as code, and nobody is invited to paste a key
// into a web page (its editor also needs inline styles, which the CSP refuses).
Scalar.createApiReference("#reference", {
  url: "/openapi.json",
  withDefaultFonts: false,
  telemetry: false,
  showDeveloperTools: "never",
  agent: { disabled: true },
  hideClientButton: true,
  hideTestRequestButton: true,
  persistAuth: false,
  documentDownloadType: "json",
});
