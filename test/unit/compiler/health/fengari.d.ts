// fengari ships no type declarations; lua.ts describes the part it uses.
declare module 'fengari' {
  const fengari: unknown;
  export default fengari;
}
