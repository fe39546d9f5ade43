package dev.kavach.core.noop;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.OutputListener;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.StdStream;
import dev.kavach.api.StreamOutput;

import java.time.Duration;
import java.util.Arrays;

/**
 * Returns the configured exit code and output for every exec without running anything. Applies the
 * policy's output limit like a real backend, so that truncation handling can be tested through it.
 */
final class NoopBackend implements SandboxBackend {
    private final int exitCode;
    private final byte[] stdout;
    private final byte[] stderr;

    NoopBackend(int exitCode, byte[] stdout, byte[] stderr) {
        this.exitCode = exitCode;
        this.stdout = stdout.clone();
        this.stderr = stderr.clone();
    }

    @Override
    public ExecResult exec(ExecRequest request) {
        return exec(request, OutputListener.NONE);
    }

    @Override
    public ExecResult exec(ExecRequest request, OutputListener listener) {
        long start = System.nanoTime();
        long limit = request.policy().outputLimitBytes();
        StreamOutput out = deliver(StdStream.STDOUT, stdout, limit, listener);
        StreamOutput err = deliver(StdStream.STDERR, stderr, limit, listener);
        return ExecResult.completed(exitCode, out, err, Duration.ofNanos(System.nanoTime() - start));
    }

    private static StreamOutput deliver(StdStream stream, byte[] data, long limit, OutputListener listener) {
        int kept = limit == 0 ? data.length : (int) Math.min(data.length, limit);
        if (kept > 0) {
            listener.onOutput(stream, data, 0, kept);
        }
        byte[] inResult = listener.keepInResult() ? Arrays.copyOf(data, kept) : new byte[0];
        long dropped = data.length - kept + (listener.keepInResult() ? 0 : kept);
        return new StreamOutput(inResult, dropped);
    }

    @Override
    public void close() {
        // nothing was acquired
    }
}
