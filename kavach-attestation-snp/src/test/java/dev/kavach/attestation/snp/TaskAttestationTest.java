package dev.kavach.attestation.snp;

import dev.kavach.api.Attestation;
import dev.kavach.api.ExecRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The host side of task binding end to end, with a self-made chain in a cache directory. */
class TaskAttestationTest {
    @Test
    void verifiesTheReportForThisTaskAndRejectsAnyOther(@TempDir Path dir) throws Exception {
        SyntheticChain c = SyntheticChain.create(SevGeneration.MILAN);
        Path gen = dir.resolve("Milan");
        Path vcek = gen.resolve("vcek").resolve(KdsClient.hwid(SevGeneration.MILAN, c.chipId)).resolve(String.format("%016x.der", c.tcb.raw()));
        Files.createDirectories(vcek.getParent());
        Files.write(vcek, c.vcek.getEncoded());
        Files.writeString(gen.resolve("cert_chain.pem"), CertificateFiles.pem(c.ask) + CertificateFiles.pem(c.ark));
        TaskAttestation attestation = new TaskAttestation(new SnpAttestationVerifier(new ReportVerifier(SyntheticVerificationTest.NOW, null,
                c.anchors())), new CertificateStore(dir, null), AppraisalPolicy.defaults());

        ExecRequest request = ExecRequest.of("sh", "-c", "echo hi").withEnv(Map.of("A", "1"));
        byte[] nonce = TaskBinding.newNonce();
        byte[] report = c.report(TaskBinding.reportData(nonce, TaskBinding.taskDigest(request)), 0x30000);

        Attestation ok = attestation.verify(report, nonce, request, null);
        assertTrue(ok.verified(), ok.checks().toString());
        assertEquals(TaskBinding.reportData(nonce, TaskBinding.taskDigest(request)).length * 2, ok.claims().get("report_data").length());

        Attestation replayed = attestation.verify(report, TaskBinding.newNonce(), request, null);
        assertFalse(replayed.verified(), "a report for an old nonce is a replay");
        Attestation otherTask = attestation.verify(report, nonce, request.withEnv("A", "2"), null);
        assertFalse(otherTask.verified());
        Attestation otherJob = attestation.verify(report, nonce, request, TaskBinding.hostData("job-9", Map.of()));
        assertFalse(otherJob.verified());
        assertTrue(otherJob.checks().stream().anyMatch(ch -> ch.name().equals("policy.host-data") && !ch.passed()));

        Attestation garbage = attestation.verify(new byte[10], nonce, request, null);
        assertFalse(garbage.verified());
        assertEquals("report.parse", garbage.checks().get(0).name());
        Attestation noCerts = new TaskAttestation(new SnpAttestationVerifier(new ReportVerifier(SyntheticVerificationTest.NOW)),
                new CertificateStore(dir.resolve("empty"), null), AppraisalPolicy.defaults()).verify(report, nonce, request, null);
        assertFalse(noCerts.verified());
        assertEquals("certificates", noCerts.checks().get(0).name());
    }
}
