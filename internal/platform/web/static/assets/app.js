// Inoculate — small behaviours for server-rendered pages.
//
// The Content-Security-Policy forbids inline scripts and event handlers, so pages ask
// for behaviour with data- attributes and this file, loaded with `defer` after
// htmx.min.js, wires them by event delegation (which also covers content htmx swaps in):
//
//   data-confirm="Question?"    on a form or a submit button: ask before submitting.
//   data-copy="element-id"      on a button: copy the text (or value) of that element;
//                               data-copied="Copied" is shown for a moment after.
//   data-autosubmit             on a select or checkbox: submit its form on change.
//   data-dismiss                on a button inside a .flash: remove the message.
//
// It also sends the CSRF token of <meta name="csrf-token"> with htmx requests as the
// X-CSRF-Token header, when the page has one.
(function () {
  "use strict";

  // Capture phase: this runs before htmx's own listener on the form, so cancelling
  // here stops both a normal submission and an htmx request.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var message = (submitter && submitter.getAttribute("data-confirm")) ||
      (form && form.getAttribute && form.getAttribute("data-confirm"));
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }

    var copyButton = target.closest("[data-copy]");
    if (copyButton) {
      event.preventDefault();
      copyFrom(copyButton);
      return;
    }

    var dismiss = target.closest("[data-dismiss]");
    if (dismiss) {
      var flash = dismiss.closest(".flash");
      if (flash) {
        flash.remove();
      }
      return;
    }

    // data-confirm on a link or a button that does not submit a form (a submitting
    // button is asked once, by the submit listener above).
    var confirmable = target.closest("a[data-confirm], button[data-confirm]");
    if (confirmable && confirmable.type === "submit" && confirmable.form) {
      confirmable = null;
    }
    if (confirmable && !window.confirm(confirmable.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof Element && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.requestSubmit();
    }
  });

  function copyFrom(button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) {
      return;
    }
    var text = "value" in source && typeof source.value === "string" ? source.value : source.textContent;
    text = (text || "").trim();
    var done = function () { acknowledge(button); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(source, done); });
    } else {
      fallbackCopy(source, done);
    }
  }

  // Without the Clipboard API (plain HTTP in development), select the text so the user
  // can copy it by hand, and try the legacy command.
  function fallbackCopy(source, done) {
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    try {
      if (document.execCommand("copy")) {
        done();
      }
    } catch (e) {
      // The selection stays for a manual copy.
    }
  }

  function acknowledge(button) {
    var label = button.getAttribute("data-copied");
    if (!label || button.hasAttribute("data-copy-busy")) {
      return;
    }
    var original = button.textContent;
    button.setAttribute("data-copy-busy", "");
    button.textContent = label;
    window.setTimeout(function () {
      button.textContent = original;
      button.removeAttribute("data-copy-busy");
    }, 1500);
  }

  // htmx configuration that must hold even if a page forgets its htmx-config meta tag:
  // no eval, no scripts from swapped content, no inline indicator styles (CSP), no
  // copy of pages in localStorage (a page may show a revealed identity).
  if (window.htmx) {
    var config = window.htmx.config;
    config.allowEval = false;
    config.allowScriptTags = false;
    config.includeIndicatorStyles = false;
    config.selfRequestsOnly = true;
    config.historyCacheSize = 0;

    document.addEventListener("htmx:configRequest", function (event) {
      var meta = document.querySelector('meta[name="csrf-token"]');
      if (meta && meta.content) {
        event.detail.headers["X-CSRF-Token"] = meta.content;
      }
    });
  }
  // Recordings (upload.js): reload to show a finished upload; show the page's own
  // words, in the page's language, when one stops.
  document.addEventListener("upload:complete", function () {
    window.location.reload();
  });
  document.addEventListener("upload:error", function (event) {
    var box = event.target instanceof Element ? event.target : null;
    var message = box && box.querySelector("[data-upload-error]");
    if (message) {
      message.hidden = false;
    }
  });
})();
