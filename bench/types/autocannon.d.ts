/** The part of autocannon 9's programmatic API the benchmarks use (the package ships no types). */
declare module 'autocannon' {
  namespace autocannon {
    interface Options {
      url: string;
      method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
      body?: string;
      headers?: Record<string, string>;
      connections?: number;
      /** Seconds. */
      duration?: number;
    }

    /** An hdr-histogram summary; latency values are whole milliseconds. */
    interface Histogram {
      average: number;
      total: number;
      p50: number;
      p99: number;
    }

    interface Result {
      /** Requests per second, sampled each second (`total`: all responses). */
      requests: Histogram;
      /** Milliseconds per 2xx response. */
      latency: Histogram;
      /** Connection errors, timeouts included. */
      errors: number;
      non2xx: number;
    }
  }

  function autocannon(options: autocannon.Options): Promise<autocannon.Result>;
  export = autocannon;
}
