import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import { buildOpenApiDocument } from './openapi';

/** `/api/openapi.json` (OpenAPI 3.1, generated from the request schemas) and `/api/docs` (Swagger UI). */
export function docsRoutes(): Router {
  const document = buildOpenApiDocument();
  const router = Router();
  router.get('/api/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.use(
    '/api/docs',
    swaggerUi.serve,
    swaggerUi.setup(document, {
      customSiteTitle: 'Ticketing API docs',
      swaggerOptions: { persistAuthorization: true, tryItOutEnabled: true },
    }),
  );
  return router;
}
