package dev.lbipam.testsupport;

import java.util.Objects;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One {@link KubeApiServer} per test class.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final KubeApiServerExtension kube = new KubeApiServerExtension();
 * // or: new KubeApiServerExtension(() -> KubeApiServer.builder().serviceAccount("ns", "sa").start());
 *
 * @Test void works(KubeApiServer server) { ... kube.server().adminClient() ... }
 * }</pre>
 *
 * <p>Register it on a {@code static} field: the server starts before all tests of the class and is
 * closed after them. {@code @Nested} classes share their outer class's server. Also resolves
 * {@link KubeApiServer} parameters of test methods, lifecycle methods and constructors.
 */
public final class KubeApiServerExtension
    implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

  private final Supplier<KubeApiServer> starter;
  private KubeApiServer server;
  /** The test class whose beforeAll started {@link #server}; only its afterAll closes it. */
  private Class<?> owner;

  /** Starts servers with the default options ({@link KubeApiServer#start()}). */
  public KubeApiServerExtension() {
    this(KubeApiServer::start);
  }

  /** Starts servers from the given builder (it may be reused, e.g. for several classes). */
  public KubeApiServerExtension(KubeApiServer.Builder builder) {
    this(Objects.requireNonNull(builder, "builder")::start);
  }

  /** Starts servers with {@code starter}. */
  public KubeApiServerExtension(Supplier<KubeApiServer> starter) {
    this.starter = Objects.requireNonNull(starter, "starter");
  }

  /** The running server. */
  public synchronized KubeApiServer server() {
    if (server == null) {
      throw new IllegalStateException("No KubeApiServer running: register KubeApiServerExtension"
          + " with @RegisterExtension on a static field, and use server() only inside tests or"
          + " @BeforeAll/@BeforeEach/@AfterEach methods");
    }
    return server;
  }

  @Override
  public synchronized void beforeAll(ExtensionContext context) {
    ensureStarted(context);
  }

  @Override
  public synchronized void afterAll(ExtensionContext context) {
    if (server != null && context.getRequiredTestClass().equals(owner)) {
      try {
        server.close();
      } finally {
        server = null;
        owner = null;
      }
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameterContext,
      ExtensionContext extensionContext) throws ParameterResolutionException {
    return parameterContext.getParameter().getType() == KubeApiServer.class;
  }

  @Override
  public synchronized Object resolveParameter(ParameterContext parameterContext,
      ExtensionContext extensionContext) throws ParameterResolutionException {
    // with @TestInstance(PER_CLASS) the constructor runs before beforeAll
    return ensureStarted(extensionContext);
  }

  private KubeApiServer ensureStarted(ExtensionContext context) {
    if (server == null) {
      server = starter.get();
      owner = context.getTestClass().orElse(null);
    }
    return server;
  }
}
