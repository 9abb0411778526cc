/**
 * The master's synthetic camera on the /demo/signaling page: a canvas test pattern (seven colour
 * bars, a running clock, a frame counter and a moving marker) captured as a video track, so the
 * demo, its test and the first-frame benchmark send video headless and on machines without a
 * camera. {@link pictureMatch} tells whether a video element shows it: what "not blank" means.
 */

/** An RGB colour, each channel 0-255. */
export type Rgb = readonly [number, number, number];

/** The pattern's size and its bars, left to right (the top two thirds of the picture). */
export const TEST_PATTERN = {
  width: 640,
  height: 360,
  /** Frames per second drawn and captured. */
  fps: 30,
  barsHeight: 240,
  bars: [
    { name: 'white', rgb: [255, 255, 255] },
    { name: 'yellow', rgb: [255, 255, 0] },
    { name: 'cyan', rgb: [0, 255, 255] },
    { name: 'green', rgb: [0, 255, 0] },
    { name: 'magenta', rgb: [255, 0, 255] },
    { name: 'red', rgb: [255, 0, 0] },
    { name: 'blue', rgb: [0, 0, 255] },
  ],
} as const satisfies {
  width: number;
  height: number;
  fps: number;
  barsHeight: number;
  bars: readonly { name: string; rgb: Rgb }[];
};

/** The band under the bars, where the clock and the counter are written. */
const BAND_RGB = 'rgb(16, 16, 16)';
/** A bar's colour matches when no channel is further than this from the pattern's (video is lossy). */
const TOLERANCE = 64;

/** A running test pattern. */
export interface TestPattern {
  /** The canvas's video track, in a stream (`canvas.captureStream`). */
  readonly stream: MediaStream;
  /** Frames drawn so far. */
  frames(): number;
  stop(): void;
}

const pad = (value: number, length = 2) => String(value).padStart(length, '0');

/** `HH:MM:SS.mmm` of the local wall clock. */
function clockText(now: Date): string {
  return `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}.${pad(now.getMilliseconds(), 3)}`;
}

function draw(context: CanvasRenderingContext2D, frame: number): void {
  const { width, height, barsHeight, bars } = TEST_PATTERN;
  const barWidth = width / bars.length;
  bars.forEach((bar, i) => {
    context.fillStyle = `rgb(${bar.rgb.join(', ')})`;
    context.fillRect(Math.floor(i * barWidth), 0, Math.ceil(barWidth), barsHeight);
  });
  context.fillStyle = BAND_RGB;
  context.fillRect(0, barsHeight, width, height - barsHeight);
  // A marker that crosses the band once a second (at 30 fps), so motion shows at a glance.
  const x = ((frame % TEST_PATTERN.fps) / TEST_PATTERN.fps) * (width - 24);
  context.fillStyle = 'rgb(255, 255, 255)';
  context.fillRect(x, height - 28, 24, 16);
  context.font = 'bold 36px monospace';
  context.textBaseline = 'top';
  context.fillText(clockText(new Date()), 24, barsHeight + 16);
  context.font = 'bold 24px monospace';
  context.fillText(`frame ${frame}`, 24, barsHeight + 60);
}

/**
 * Draws the pattern on `canvas` at {@link TEST_PATTERN}'s frame rate and captures it. A timer
 * draws, not `requestAnimationFrame`, so a master in a background tab still sends (browsers
 * slow such timers down, to one a second in a hidden tab).
 */
export function startTestPattern(canvas: HTMLCanvasElement): TestPattern {
  canvas.width = TEST_PATTERN.width;
  canvas.height = TEST_PATTERN.height;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('this browser has no 2D canvas');
  let frame = 0;
  draw(context, frame);
  const timer = setInterval(() => draw(context, ++frame), 1000 / TEST_PATTERN.fps);
  const stream = canvas.captureStream(TEST_PATTERN.fps);
  return {
    stream,
    frames: () => frame,
    stop: () => {
      clearInterval(timer);
      for (const track of stream.getTracks()) track.stop();
    },
  };
}

/** How much of the test pattern a picture shows: each bar's colour at its centre, as seen. */
export interface PictureMatch {
  /** Bars whose centre has the bar's colour (within a tolerance), of {@link PictureMatch.of}. */
  readonly matched: number;
  readonly of: number;
  /** Per bar, the colour seen at its centre. */
  readonly seen: readonly { readonly name: string; readonly expected: Rgb; readonly seen: Rgb }[];
  readonly width: number;
  readonly height: number;
}

/**
 * Draws the video's current frame on a canvas and compares the centre of each bar with the
 * pattern's colour: a blank (black, grey, frozen-green) picture matches none or one.
 */
export function pictureMatch(video: HTMLVideoElement): PictureMatch {
  const width = video.videoWidth;
  const height = video.videoHeight;
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  const { bars, barsHeight } = TEST_PATTERN;
  if (!context || width === 0 || height === 0) {
    return { matched: 0, of: bars.length, seen: [], width, height };
  }
  context.drawImage(video, 0, 0, width, height);
  const y = Math.floor(((barsHeight / 2) * height) / TEST_PATTERN.height);
  const seen = bars.map((bar, i) => {
    const x = Math.floor(((i + 0.5) * width) / bars.length);
    const [r = 0, g = 0, b = 0] = context.getImageData(x, y, 1, 1).data;
    return { name: bar.name, expected: bar.rgb, seen: [r, g, b] as Rgb };
  });
  const close = (a: Rgb, b: Rgb) => a.every((value, i) => Math.abs(value - (b[i] ?? 0)) <= TOLERANCE);
  const matched = seen.filter((bar) => close(bar.expected, bar.seen)).length;
  return { matched, of: bars.length, seen, width, height };
}
