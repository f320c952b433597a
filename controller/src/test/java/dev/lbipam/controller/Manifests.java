package dev.lbipam.controller;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AppsV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.apis.RbacAuthorizationV1Api;
import io.kubernetes.client.openapi.models.V1ClusterRole;
import io.kubernetes.client.openapi.models.V1ClusterRoleBinding;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1Role;
import io.kubernetes.client.openapi.models.V1RoleBinding;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.util.Yaml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads what users apply from manifest/ (single files, or a kustomization rendered by the real
 * kubectl) and creates it on a test API server.
 */
final class Manifests {
  private Manifests() {}

  static Path directory() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("manifest"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("manifest/ not found above " + Path.of("").toAbsolutePath());
    }
    return dir.resolve("manifest");
  }

  static List<Object> load(String... files) throws IOException {
    List<Object> objects = new ArrayList<>();
    for (String file : files) {
      objects.addAll(Yaml.loadAll(directory().resolve(file).toFile()));
    }
    return objects;
  }

  /** {@code kubectl kustomize manifest/<dir>}: the objects {@code kubectl apply -k} would apply. */
  static List<Object> kustomize(String dir) throws IOException, InterruptedException {
    return Yaml.loadAll(kubectl("kustomize", directory().resolve(dir).toString()));
  }

  /** Runs the kubectl built with the test API server; fails with its output unless it exits 0. */
  static String kubectl(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(dev.lbipam.testsupport.KubeBinaries.locate().kubectl().toString());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output);
    }
    return output;
  }

  /** Creates every object; {@code dryRun} asks the server to validate without persisting. */
  static List<String> create(ApiClient client, List<Object> objects, boolean dryRun) throws ApiException {
    String dry = dryRun ? "All" : null;
    CoreV1Api core = new CoreV1Api(client);
    RbacAuthorizationV1Api rbac = new RbacAuthorizationV1Api(client);
    AppsV1Api apps = new AppsV1Api(client);
    List<String> created = new ArrayList<>();
    for (Object object : objects) {
      if (object instanceof V1ServiceAccount sa) {
        core.createNamespacedServiceAccount(sa.getMetadata().getNamespace(), sa).dryRun(dry).execute();
        created.add("ServiceAccount/" + sa.getMetadata().getName());
      } else if (object instanceof V1ClusterRole role) {
        rbac.createClusterRole(role).dryRun(dry).execute();
        created.add("ClusterRole/" + role.getMetadata().getName());
      } else if (object instanceof V1ClusterRoleBinding binding) {
        rbac.createClusterRoleBinding(binding).dryRun(dry).execute();
        created.add("ClusterRoleBinding/" + binding.getMetadata().getName());
      } else if (object instanceof V1Role role) {
        rbac.createNamespacedRole(role.getMetadata().getNamespace(), role).dryRun(dry).execute();
        created.add("Role/" + role.getMetadata().getName());
      } else if (object instanceof V1RoleBinding binding) {
        rbac.createNamespacedRoleBinding(binding.getMetadata().getNamespace(), binding).dryRun(dry).execute();
        created.add("RoleBinding/" + binding.getMetadata().getName());
      } else if (object instanceof V1ConfigMap cm) {
        core.createNamespacedConfigMap(cm.getMetadata().getNamespace(), cm).dryRun(dry).execute();
        created.add("ConfigMap/" + cm.getMetadata().getName());
      } else if (object instanceof io.kubernetes.client.openapi.models.V1Secret secret) {
        core.createNamespacedSecret(secret.getMetadata().getNamespace(), secret).dryRun(dry).execute();
        created.add("Secret/" + secret.getMetadata().getName());
      } else if (object instanceof io.kubernetes.client.openapi.models.V1PodDisruptionBudget budget) {
        new io.kubernetes.client.openapi.apis.PolicyV1Api(client)
            .createNamespacedPodDisruptionBudget(budget.getMetadata().getNamespace(), budget).dryRun(dry).execute();
        created.add("PodDisruptionBudget/" + budget.getMetadata().getName());
      } else if (object instanceof io.kubernetes.client.openapi.models.V1CustomResourceDefinition crd) {
        crd.getSpec().getVersions().forEach(v -> withoutEmptyDependencies(v.getSchema().getOpenAPIV3Schema()));
        new io.kubernetes.client.openapi.apis.ApiextensionsV1Api(client).createCustomResourceDefinition(crd).dryRun(dry).execute();
        created.add("CustomResourceDefinition/" + crd.getMetadata().getName());
      } else if (object instanceof V1Deployment deployment) {
        apps.createNamespacedDeployment(deployment.getMetadata().getNamespace(), deployment).dryRun(dry).execute();
        created.add("Deployment/" + deployment.getMetadata().getName());
      } else {
        throw new IllegalArgumentException("unexpected object in manifest/: " + object.getClass().getSimpleName());
      }
    }
    return created;
  }

  /**
   * client-java's model starts every schema with an empty {@code dependencies} map and sends it,
   * which the API server refuses ("dependencies is not supported").
   */
  private static void withoutEmptyDependencies(io.kubernetes.client.openapi.models.V1JSONSchemaProps schema) {
    if (schema == null) {
      return;
    }
    if (schema.getDependencies() != null && schema.getDependencies().isEmpty()) {
      schema.setDependencies(null);
    }
    if (schema.getProperties() != null) {
      schema.getProperties().values().forEach(Manifests::withoutEmptyDependencies);
    }
    if (schema.getItems() instanceof io.kubernetes.client.openapi.models.V1JSONSchemaProps items) {
      withoutEmptyDependencies(items);
    }
  }

  /** The AddressClaim CRD, the ServiceAccount and its RBAC: what the controller runs with in every IT. */
  static void installPrerequisites(ApiClient admin) throws IOException, ApiException {
    create(admin, load("base/crd.yaml", "base/serviceaccount.yaml", "base/rbac.yaml"), false);
    awaitEstablished(admin, "addressclaims.lbipam.dev");
  }

  /**
   * A new CRD is served once it is Established, and its storage answers a moment later (until then
   * a list gets 429 "storage is (re)initializing").
   */
  static void awaitEstablished(ApiClient admin, String crd) throws ApiException {
    var api = new io.kubernetes.client.openapi.apis.ApiextensionsV1Api(admin);
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> {
      var status = api.readCustomResourceDefinition(crd).execute().getStatus();
      return status != null && status.getConditions() != null && status.getConditions().stream()
          .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
    });
    var definition = api.readCustomResourceDefinition(crd).execute().getSpec();
    var custom = new io.kubernetes.client.openapi.apis.CustomObjectsApi(admin);
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
      custom.listClusterCustomObject(definition.getGroup(), definition.getVersions().get(0).getName(),
          definition.getNames().getPlural()).limit(1).execute();
      return true;
    });
  }
}
