package dev.kavach.attestation.snp;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.SandboxPolicy;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The documented binding format, byte for byte, and the checks that name what differs. */
class ResultBindingTest {
    private static final byte[] NONCE = new byte[32];

    @Test
    void canonicalFilesAreNulTerminatedAndEnvIsSortedByUtf8Bytes() {
        assertThat(ResultBinding.argvFile(List.of("a b", "", "ü"))).isEqualTo("a b\0\0ü\0".getBytes(StandardCharsets.UTF_8));
        // U+FF21 (EF BC A1) sorts before U+1F600 (F0 9F 98 80) by UTF-8 bytes, after it by UTF-16 units (D83D < FF21).
        Map<String, String> env = Map.of("\uD83D\uDE00", "2", "\uFF21", "1", "B", "=x");
        assertThat(new String(ResultBinding.envFile(env), StandardCharsets.UTF_8)).isEqualTo("B==x\0\uFF21=1\0\uD83D\uDE00=2\0");
        assertThat(ResultBinding.envFile(Map.of())).isEmpty();
        assertThat(ResultBinding.workdirFile(ExecRequest.of("true"))).isEqualTo("/work".getBytes(StandardCharsets.UTF_8));
        assertThat(ResultBinding.workdirFile(ExecRequest.of("true").withWorkdir("/w x"))).isEqualTo("/w x".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theStatementHasTheDocumentedFieldsInOrder() {
        ExecRequest request = ExecRequest.of("true").withPolicy(SandboxPolicy.basic().withOutputLimitBytes(10));
        ResultStatement statement = ResultBinding.expected(NONCE, request, new byte[0], "e".getBytes(StandardCharsets.UTF_8), 0, 2, 1);
        assertThat(List.copyOf(statement.fields().keySet())).isEqualTo(ResultBinding.FIELDS);
        String empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assertThat(statement.text()).isEqualTo("kavach-snp-result v1\nnonce " + "00".repeat(32) + "\nargv "
                + ResultBinding.sha256("true\0".getBytes(StandardCharsets.UTF_8)) + "\nenv " + empty + "\nworkdir "
                + ResultBinding.sha256("/work".getBytes(StandardCharsets.UTF_8)) + "\nstdin " + empty + "\noutput-limit 10\nstdout " + empty
                + "\nstderr " + ResultBinding.sha256("e".getBytes(StandardCharsets.UTF_8)) + "\nstdout-dropped 0\nstderr-dropped 2\nexit 1\n");
    }

    @Test
    void everyDifferingPartIsNamedAndFieldsOutOfOrderAreRefused() {
        ExecRequest request = ExecRequest.of("echo", "hi").withStdin("in".getBytes(StandardCharsets.UTF_8));
        ResultStatement guest = ResultBinding.expected(NONCE, request, "hi\n".getBytes(StandardCharsets.UTF_8), new byte[0], 0, 0, 0);
        ResultBinding.check(guest, NONCE, request, "hi\n".getBytes(StandardCharsets.UTF_8), new byte[0], 0, 0, 0);
        assertThatThrownBy(() -> ResultBinding.check(guest, NONCE, request.withStdin(new byte[0]).withWorkdir("/x"), "hi\n".getBytes(StandardCharsets.UTF_8),
                new byte[0], 0, 0, 0))
                .isInstanceOfSatisfying(ResultMismatchException.class, e -> assertThat(e.differences())
                        .satisfiesExactly(d -> assertThat(d).startsWith("workdir digest differs"), d -> assertThat(d).startsWith("stdin digest differs")));
        Map<String, String> reordered = new LinkedHashMap<>(guest.fields());
        String exit = reordered.remove("argv");
        reordered.put("argv", exit);
        assertThatThrownBy(() -> ResultBinding.check(ResultStatement.of(reordered), NONCE, request, "hi\n".getBytes(StandardCharsets.UTF_8),
                new byte[0], 0, 0, 0)).isInstanceOf(ResultMismatchException.class).hasMessageContaining("in this order");
    }
}
