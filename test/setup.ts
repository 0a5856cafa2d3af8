import 'aws-sdk-client-mock-vitest/extend';

// The pinned SDK clients support Node 20; the notice about future versions is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
