export * from './derive.js';
export * from './csv.js';
