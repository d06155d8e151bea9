// The procedural compat API with the classic loop: ProcessIdleEvents=false and
// `while (running) await do_doevents(res)`.
import { api, startCompat } from './compat-shared.mjs';

const res = await startCompat(false, 'compat-doevents');
for (;;) await api.ipworksssl_wsserver_do_doevents(res);
