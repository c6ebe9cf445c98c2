// A button that copies the text of the element it names (data-copy holds the id): a secret shown once, or a
// form's HTML to paste on a site. Without script the button stays hidden and the text is there to select.
(function () {
  "use strict";
  function selectText(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copied(button, ok) {
    button.textContent = ok ? "Copied" : "Selected: press Ctrl+C";
    setTimeout(function () { button.textContent = "Copy"; }, 2000);
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.dataset.copy);
      if (!source) { return; }
      var text = source.textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () { copied(button, true); },
          function () { selectText(source); copied(button, false); }
        );
      } else {
        selectText(source);
        copied(button, document.execCommand && document.execCommand("copy"));
      }
    });
  });
}());
