// /api/docs: Swagger UI over /api/openapi.json, bundled from its npm package (no CDN).
// "Try it out" uses the signed-in web session: the cookie goes along, writes carry the
// session's CSRF token. Without a session, paste a bearer token under "Authorize".
import SwaggerUIBundle from 'swagger-ui-dist/swagger-ui-bundle.js'
import 'swagger-ui-dist/swagger-ui.css'

let csrf = ''
fetch('/api/web/session', { credentials: 'same-origin' })
  .then((r) => (r.ok ? r.json() : null))
  .then((answer) => { csrf = answer?.csrf_token ?? '' })
  .catch(() => undefined)

SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  tryItOutEnabled: false,
  validatorUrl: null, // no call to the public validator service
  requestInterceptor: (req: { headers: Record<string, string>; credentials?: string; method?: string }) => {
    req.credentials = 'same-origin'
    if (csrf && req.method && req.method.toUpperCase() !== 'GET') req.headers['X-CSRF-Token'] = csrf
    return req
  },
})
