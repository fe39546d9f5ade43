package dev.kavach.benchmarks;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;
import java.util.Map;

/** The suite's JSON result document, written with jackson-core, the JSON library the CLI and the sev plugin use. */
final class JsonText {
    private static final JsonFactory FACTORY = JsonFactory.builder().enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN).build();

    private JsonText() {
    }

    static String document(String mode, String started, String finished, Map<String, String> machine, List<Figure> figures) {
        StringWriter text = new StringWriter();
        try (JsonGenerator json = FACTORY.createGenerator(text)) {
            json.setPrettyPrinter(new DefaultPrettyPrinter());
            json.writeStartObject();
            json.writeStringField("suite", "kavach-benchmarks");
            json.writeStringField("mode", mode);
            json.writeStringField("started", started);
            json.writeStringField("finished", finished);
            json.writeObjectFieldStart("machine");
            for (Map.Entry<String, String> fact : machine.entrySet()) {
                json.writeStringField(fact.getKey(), fact.getValue());
            }
            json.writeEndObject();
            json.writeArrayFieldStart("figures");
            for (Figure f : figures) {
                json.writeStartObject();
                json.writeStringField("name", f.name());
                json.writeStringField("unit", f.unit());
                number(json, "kavach", f.kavach());
                number(json, "baseline", f.baseline());
                number(json, "ratio", f.ratio());
                json.writeStringField("goal", f.goal().describe());
                json.writeStringField("status", f.status().name());
                number(json, "load_start", f.loadStart());
                number(json, "load_end", f.loadEnd());
                json.writeBooleanField("under_load", f.underLoad());
                json.writeStringField("note", f.note());
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text + "\n";
    }

    /** Six significant digits, plain notation; {@code null} for a figure that has no such number. */
    private static void number(JsonGenerator json, String name, double value) throws IOException {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            json.writeNullField(name);
        } else {
            json.writeNumberField(name, new BigDecimal(value).round(new MathContext(6)).stripTrailingZeros());
        }
    }
}
