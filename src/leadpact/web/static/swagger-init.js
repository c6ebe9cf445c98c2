// The API's documentation page: Swagger UI (vendored, with its license) on the app's own OpenAPI document.
window.addEventListener("load", function () {
  "use strict";
  window.SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
