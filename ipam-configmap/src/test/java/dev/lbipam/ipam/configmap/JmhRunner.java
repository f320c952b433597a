package dev.lbipam.ipam.configmap;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs JMH ({@code org.openjdk.jmh.Main}) so that forked benchmark JVMs also work under {@code mvn
 * exec:java}: JMH gives its forks {@code java.class.path}, which under exec:java is Maven's launcher
 * jar, not the test class path; this rebuilds the property from exec:java's class loader first.
 * With no arguments it runs {@code AllocatorBenchmark}. See docs/benchmarks.md:
 *
 * <pre>{@code
 * mvn -q -pl ipam-configmap test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=dev.lbipam.ipam.configmap.JmhRunner \
 *   -Dexec.args="AllocatorBenchmark -f 1 -wi 3 -i 5 -w 1s -r 1s"
 * }</pre>
 */
public final class JmhRunner {
  private JmhRunner() {}

  public static void main(String[] args) throws Exception {
    String classPath = System.getProperty("java.class.path", "");
    if (!classPath.contains("jmh-core") && Thread.currentThread().getContextClassLoader() instanceof URLClassLoader loader) {
      List<String> entries = new ArrayList<>();
      for (URL url : loader.getURLs()) {
        if ("file".equals(url.getProtocol())) {
          entries.add(Path.of(url.toURI()).toString());
        }
      }
      System.setProperty("java.class.path", String.join(File.pathSeparator, entries));
    }
    org.openjdk.jmh.Main.main(args.length == 0 ? new String[] {AllocatorBenchmark.class.getSimpleName()} : args);
  }
}
