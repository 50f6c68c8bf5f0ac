import { down } from './cluster.js';

await down();
