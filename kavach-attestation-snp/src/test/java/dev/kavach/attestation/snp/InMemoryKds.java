package dev.kavach.attestation.snp;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A KDS answering from memory through the injected {@link KdsClient.Fetcher}: no socket, no network. Records what was asked. */
public final class InMemoryKds {
    public static final URI BASE = URI.create("https://kds.invalid");
    public final Map<String, byte[]> answers = new ConcurrentHashMap<>();
    public final List<String> requests = new CopyOnWriteArrayList<>();

    /** Serves a synthetic chain's cert_chain, VCEK (any TCB query) and, when given, its CRL. */
    public static InMemoryKds serving(SyntheticChain c, byte[] crl) throws Exception {
        InMemoryKds kds = new InMemoryKds();
        String g = c.generation.kdsName();
        kds.answers.put("/vcek/v1/" + g + "/cert_chain", (CertificateFiles.pem(c.ask) + CertificateFiles.pem(c.ark)).getBytes());
        kds.answers.put("/vcek/v1/" + g + "/" + KdsClient.hwid(c.generation, c.chipId), c.vcek.getEncoded());
        if (crl != null) {
            kds.answers.put("/vcek/v1/" + g + "/crl", crl);
        }
        return kds;
    }

    public KdsClient client() {
        return new KdsClient(BASE, this::get, 0, Duration.ofSeconds(1), Duration.ofSeconds(1), d -> { });
    }

    private KdsClient.Response get(URI uri, Duration timeout) {
        String path = uri.getRawPath();
        requests.add(path + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
        byte[] body = answers.get(path);
        return body == null ? new KdsClient.Response(404, Optional.empty(), new byte[0]) : KdsClient.Response.ok(body);
    }
}
