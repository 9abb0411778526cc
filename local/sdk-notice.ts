/** The AWS SDK's own switch for its Node.js version notice (`@aws-sdk/core`, emitWarningIfUnsupportedVersion). */
const SDK_NOTICE_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/**
 * Lets the AWS SDK's `NodeVersionSupportWarning` (printed by every process that loads the SDK on
 * a Node.js it will stop supporting) print once per `npm start`: a user on such a Node.js should
 * read it, but once. After this process printed it, the processes it starts (the function's
 * instances, `--instances N`) get the SDK's switch that silences it.
 */
export function printSdkNoticeOnce(): void {
  process.on('warning', (warning) => {
    if (warning.message.startsWith('NodeVersionSupportWarning')) process.env[SDK_NOTICE_SWITCH] = 'true';
  });
}
