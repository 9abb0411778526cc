/** The part of dynalite 4's API the local runner uses (the package ships no types). */
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** Milliseconds a new table stays CREATING (default 500). */
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    /** A LevelDB directory; default in memory. */
    path?: string;
  }

  /** An HTTP server speaking DynamoDB's JSON protocol; `close` also closes its store. */
  function dynalite(options?: DynaliteOptions): Server;
  export = dynalite;
}
