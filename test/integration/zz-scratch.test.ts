import { it } from 'vitest';
import { startStack, keyvalueFrontend, rejection } from './helpers.js';
import { problemsOf } from '../../src/admin/client.js';

it('explore', async () => {
  const s = await startStack();
  const tryReg = async (label: string, mutate: (f: any) => void) => {
    const f: any = keyvalueFrontend(); mutate(f);
    try { await s.admin.registerFrontend(f); console.log(label, 'ACCEPTED'); await s.admin.deleteFrontend(f.name); }
    catch (e: any) { console.log(label, e.code, JSON.stringify(e.details), JSON.stringify(problemsOf(e))); }
  };
  await tryReg('kee', (f) => { f.rest.routes[4].params[0].field = 'kee'; });
  await tryReg('toplevel', (f) => { f.colour = 'blue'; });
  await tryReg('restkey', (f) => { f.rest.routez = []; });
  await tryReg('enum', (f) => { f.rest.options.unescape = 'SOME_CHARACTERS'; });
  await tryReg('enum2', (f) => { f.rest.routes[4].params[0].source = 'QUERYSTRING'; });
  await tryReg('enum3', (f) => { f.type = 'SOAP'; });
  await tryReg('method', (f) => { f.rest.routes[1].grpc.method = 'Fetch'; });
  await tryReg('template', (f) => { f.rest.routes[1].path_template = '/{key=**}/x'; });
  await tryReg('dup', (f) => { f.rest.routes.push({ ...f.rest.routes[1], operation_id: 'getAgain' }); });
  await tryReg('twoproblems', (f) => { f.rest.routes[4].params[0].field = 'kee'; f.rest.routes[1].grpc.method = 'Fetch'; });
  await tryReg('tags', (f) => { f.rest.routes[0].path_template = '/{tags}'; });
  await s.close();
});
