package dev.kavach.testkit;

import dev.kavach.api.BackendContext;
import dev.kavach.api.Availability;
import dev.kavach.api.BackendInfo;
import dev.kavach.api.BackendProvider;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.IsolationKind;
import dev.kavach.api.OutputListener;
import dev.kavach.api.ProbeCheck;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.SandboxException;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.process.Launch;
import dev.kavach.api.process.ProcessRunner;
import dev.kavach.api.process.RunReport;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The contract run against a backend written the naive way: the command behind {@code env --} with no
 * program check, no policy check and no output limit. Not a test of its own (the name keeps surefire
 * away): {@link BackendContractKitTest} runs it and expects exactly those three failures.
 */
public class NaiveBackendContract extends BackendContractTest {
    @Override
    protected BackendProvider provider() {
        return new BackendProvider() {
            @Override
            public BackendInfo info() {
                return new BackendInfo("naive", "Naive", IsolationKind.NONE, 0, "gets the contract wrong");
            }

            @Override
            public Availability probe(BackendContext context) {
                return Availability.of(ProbeCheck.ok("nothing", "needs nothing"));
            }

            @Override
            public SandboxBackend create(BackendContext context) {
                return new NaiveBackend();
            }
        };
    }

    @Override
    protected Optional<SandboxPolicy> unenforceablePolicy() {
        return Optional.of(SandboxPolicy.strict());
    }

    private static final class NaiveBackend implements SandboxBackend {
        private final ProcessRunner runner = ProcessRunner.create();

        @Override
        public ExecResult exec(ExecRequest request, OutputListener listener) {
            List<String> argv = new ArrayList<>(List.of("env", "--"));
            argv.addAll(request.command().argv());
            try {
                RunReport report = runner.run(Launch.builder(argv).stdin(request.stdin()).timeout(request.effectiveTimeout())
                        .listener(listener).build());
                return report.toResult(request.effectiveTimeout()).build();
            } catch (IOException | InterruptedException e) {
                throw new SandboxException(e.toString(), "");
            }
        }

        @Override
        public void close() {
            runner.close();
        }
    }
}
