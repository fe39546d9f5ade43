package dev.kavach.backend.sev;

import dev.kavach.api.Attestation;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.StreamOutput;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The session's record as one attestation: a claim per event, a check per exec, verified only when every exec was. */
class SessionEvidenceTest {
    private static ExecResult result(String stdout) {
        return ExecResult.Builder.completed(0).stdout(new StreamOutput(stdout.getBytes(StandardCharsets.UTF_8), 0)).build();
    }

    private static Attestation attestation(boolean verified) {
        return new Attestation("sev-snp", verified, Map.of(), List.of(new Attestation.Check("signature", verified, verified ? "ok" : "bad signature")));
    }

    @Test
    void aPlainVmSessionHasNoEvidence() {
        SessionEvidence evidence = new SessionEvidence();
        evidence.exec(ExecRequest.of("true"), result(""), null, null);
        evidence.transfer("put", "a", 1, "00");
        assertThat(evidence.attestation()).isEmpty();
    }

    @Test
    void everyEventIsAClaimAndEveryExecACheck() {
        SessionEvidence evidence = new SessionEvidence();
        evidence.exec(ExecRequest.of("echo", "hi"), result("hi\n"), new byte[64], attestation(true));
        evidence.transfer("get", "out.txt", 3, "ab");
        Attestation whole = evidence.attestation().orElseThrow();
        assertThat(whole.verified()).isTrue();
        assertThat(whole.claims().get("event.0")).startsWith("exec argv_sha256=").contains(" exit=0 ", " nonce=");
        assertThat(whole.claims().get("event.1")).isEqualTo("get path=out.txt size=3 sha256=ab");
        assertThat(whole.checks()).hasSize(1);

        evidence.exec(ExecRequest.of("true"), result(""), new byte[64], attestation(false));
        Attestation after = evidence.attestation().orElseThrow();
        assertThat(after.verified()).as("one unverified exec spoils the session's evidence").isFalse();
        assertThat(after.checks().get(1).detail()).isEqualTo("attestation failed: bad signature");
    }
}
