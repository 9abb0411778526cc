/**
 * A function instance of a broker child's fleet (`instances` > 1): local/fleet/instance.ts,
 * bundled like the other servers so that it runs as plain JavaScript.
 */
import '../../local/fleet/instance';
