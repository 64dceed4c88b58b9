package dev.stackerj.core.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stackerj.core.stackerfile.Layer;
import dev.stackerj.core.stackerfile.Stackerfile;
import dev.stackerj.core.stackerfile.StackerfileLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

class DockerfileConverterTest {
  @SuppressWarnings("unchecked")
  private static Map<String, Object> layers(DockerfileConverter.Result r) {
    return (Map<String, Object>) new Yaml().load(r.stackerYaml());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> layer(DockerfileConverter.Result r, String name) {
    return (Map<String, Object>) layers(r).get(name);
  }

  @Test
  void singleStageTranslatesEveryInstruction() {
    var r = DockerfileConverter.convert("""
        # syntax=docker/dockerfile:1
        FROM debian:12
        LABEL org.example.a="one two" b=2
        MAINTAINER someone
        ENV A=1 B="x y"
        ENV LEGACY value with spaces
        WORKDIR /app
        COPY --chown=1000:1000 --chmod=0644 app.conf ./etc/
        ADD https://example.com/f.tgz /opt/
        RUN apt-get update && \\
            apt-get install -y curl
        RUN ["echo", "it's"]
        VOLUME ["/data", "/logs"]
        EXPOSE 80 443/udp
        USER app
        ENTRYPOINT ["/app/run"]
        CMD --serve
        """, "Dockerfile");
    assertEquals(List.of(), r.warnings());
    Map<String, Object> l = layer(r, "stage0");
    assertEquals(Map.of("type", "docker", "url", "docker://debian:12"), l.get("from"));
    assertEquals(Map.of("org.example.a", "one two", "b", "2", "maintainer", "someone", "EXPOSE", "80 443/udp"), l.get("labels"));
    assertEquals(Map.of("A", "1", "B", "x y", "LEGACY", "value with spaces"), l.get("environment"));
    assertEquals("/app", l.get("working_dir"));
    assertEquals(List.of(
        Map.of("path", "app.conf", "dest", "/app/etc/", "mode", 0644, "uid", 1000, "gid", 1000),
        Map.of("path", "https://example.com/f.tgz", "dest", "/opt/")), l.get("imports"));
    assertEquals(List.of("mkdir -p /app && cd /app\napt-get update &&     apt-get install -y curl", "echo 'it'\\''s'"), l.get("run"));
    assertEquals(List.of("/data", "/logs"), l.get("volumes"));
    assertEquals("app", l.get("runtime_user"));
    assertEquals(List.of("/app/run"), l.get("entrypoint"));
    assertEquals(List.of("/bin/sh", "-c", "--serve"), l.get("cmd"));
    assertEquals(null, l.get("build_only"));
  }

  @Test
  void multiStageBuildsBecomeBuildOnlyLayers() {
    var r = DockerfileConverter.convert("""
        FROM golang:1.22 AS build
        RUN go build -o /out/app
        FROM scratch
        COPY --from=build /out/app /app
        """, "Dockerfile");
    assertEquals(List.of("build", "stage1"), List.copyOf(layers(r).keySet()));
    assertEquals(true, layer(r, "build").get("build_only"));
    assertEquals(Map.of("type", "scratch"), layer(r, "stage1").get("from"));
    assertEquals(List.of(Map.of("path", "stacker://build/out/app", "dest", "/app")), layer(r, "stage1").get("imports"));
  }

  @Test
  void aStageBuiltOnAnotherUsesTypeBuilt() {
    var r = DockerfileConverter.convert("FROM alpine AS base\nFROM base\nRUN true\n", "Dockerfile");
    assertEquals(Map.of("type", "built", "tag", "base"), layer(r, "stage1").get("from"));
  }

  @Test
  void argsBecomeSubstitutionsWithTheirDefaults() {
    var r = DockerfileConverter.convert("""
        ARG BASE=alpine:3.19
        FROM $BASE
        ARG VERSION
        RUN echo ${VERSION} $BASE $HOME
        """, "Dockerfile");
    Map<String, Object> l = layer(r, "stage0");
    assertEquals(Map.of("type", "docker", "url", "docker://${{BASE:alpine:3.19}}"), l.get("from"));
    assertEquals(List.of("echo ${{VERSION}} ${{BASE:alpine:3.19}} $HOME"), l.get("run"));
    Map<String, Object> subs = new Yaml().load(r.substitutionsYaml());
    assertEquals(Map.of("BASE", "alpine:3.19", "VERSION", ""), subs);
  }

  /** stacker's own convert test: what convert writes builds with its substitutions file, as stacker's does. */
  @Test
  void theOutputParsesWithItsOwnSubstitutionsFileEvenWithALiteralDollarName() throws Exception {
    var r = DockerfileConverter.convert("""
        FROM alpine:edge
        ARG VERSION=1.0.0
        ENV ENV_VERSION1 $VERSION
        ENV ENV_VERSION2=${VERSION}
        ENV ENV_VERSION3=$\\{VERSION\\}
        RUN echo $VERSION $VERSIONS $HOME
        """, "Dockerfile");
    Path dir = Files.createTempDirectory("convert");
    try {
      Path subs = Files.writeString(dir.resolve("subs.yaml"), r.substitutionsYaml());
      Stackerfile f = new StackerfileLoader(StackerfileLoader.readSubstituteFile(subs), Map.of())
          .parse(r.stackerYaml().getBytes(StandardCharsets.UTF_8), dir.resolve("stacker.yaml"));
      Layer l = f.layers().get(0);
      assertEquals("1.0.0", l.environment().get("ENV_VERSION1"));
      assertEquals("1.0.0", l.environment().get("ENV_VERSION2"));
      // Docker reads $\{VERSION\} as the literal text ${VERSION}: so does the image
      assertEquals("${VERSION}", l.environment().get("ENV_VERSION3"));
      assertTrue(r.stackerYaml().contains("\"\\x24{VERSION}\""), r.stackerYaml());
      assertTrue(l.run().get(0).contains("echo 1.0.0 $VERSIONS $HOME"), l.run().toString());
    } finally {
      Files.walk(dir).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void unsupportedInstructionsAreNamedWithTheirLine() {
    var r = DockerfileConverter.convert("FROM alpine\nHEALTHCHECK CMD true\nSTOPSIGNAL SIGTERM\nRUN --mount=type=cache,target=/c true\n", "Dockerfile");
    assertEquals(List.of(
        "Dockerfile:2: HEALTHCHECK is not supported by stacker and was left out",
        "Dockerfile:3: STOPSIGNAL is not supported by stacker and was left out",
        "Dockerfile:4: RUN --mount=type=cache,target=/c is ignored"), r.warnings());
  }

  @Test
  void aDockerfileWithoutFromConvertsToNothingAndSaysSo() {
    var r = DockerfileConverter.convert("# nothing\n", "Dockerfile");
    assertTrue(r.warnings().get(0).contains("no FROM"));
  }

  @Test
  void continuationsSkipCommentLinesAndHonourTheEscapeDirective() {
    var in = Dockerfile.parse("# escape=`\nFROM x\nRUN a `\n# comment\n  b\n");
    assertEquals(2, in.size());
    assertEquals("a   b", in.get(1).args());
    assertEquals(3, in.get(1).line());
  }
}
