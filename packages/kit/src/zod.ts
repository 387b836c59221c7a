import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// zod with `.openapi()` on every schema: each kit module that describes schemas imports z from here, so the
// extension is in place whichever module loads first.
extendZodWithOpenApi(z);

export { z };
