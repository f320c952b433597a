package dev.lbipam.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ImageJvmFlagsTest {

  @Test
  void readsTheFlagsBetweenJavaAndJarAcrossContinuationLines() {
    String containerfile = """
        FROM base
        # ENTRYPOINT ["not", "this"]
        ENTRYPOINT ["java", "-XX:MaxRAMPercentage=60", \\
                    "-Xss512k", \\
                    "-jar", "/opt/app.jar"]
        """;

    assertEquals(List.of("-XX:MaxRAMPercentage=60", "-Xss512k"), ImageJvmFlags.parse(containerfile));
  }

  @Test
  void anEntrypointThatIsNotAJavaJarIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> ImageJvmFlags.parse("ENTRYPOINT [\"/bin/app\"]\n"));
    assertThrows(IllegalArgumentException.class, () -> ImageJvmFlags.parse("CMD [\"java\"]\n"));
  }

  @Test
  void theRepositorysImageSizesItsHeapFromTheContainerLimit() {
    List<String> flags = ImageJvmFlags.ofRepository();

    assertTrue(flags.stream().anyMatch(f -> f.startsWith("-XX:MaxRAMPercentage=")), flags::toString);
    assertTrue(flags.contains("-XX:+ExitOnOutOfMemoryError"), flags::toString);
  }
}
