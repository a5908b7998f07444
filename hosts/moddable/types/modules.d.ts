// The SDK's `modules` ($MODDABLE/modules/base/modules): the firmware's archive modules at run time.
declare module 'moddable:modules' {
  const Modules: {
    /** Names of the modules in the firmware (host) archive. */
    readonly host: string[];
    /** Runs `name` now if not yet loaded; its default export, or its namespace when it has none. */
    importNow(name: string): unknown;
    /** Whether `name` can be imported. */
    has(name: string): boolean;
  };
  export { Modules as default };
}
