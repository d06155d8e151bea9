// The procedural compat API with ProcessIdleEvents=true: callbacks fire as events occur.
import { startCompat } from './compat-shared.mjs';

await startCompat(true, 'compat-idle');
