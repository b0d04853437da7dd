"""Pure helpers behind the browser app (streamlit_app.py), testable without Streamlit.

Everything that turns corpus text or model output into Markdown goes through here, escaped: no HTML,
no links, no emphasis or math can come from a document or a model, only from the app's own markup."""

from __future__ import annotations

# Streamlit draws some texts of its own in English (the uploader's drop zone and button, the hint under a
# form's text field, the running indicator). Our stylesheet hides them and, where they carry meaning, puts
# Chinese in their place. No user or corpus text ever goes through here.
APP_CSS = """<style>
[data-testid="stFileUploaderDropzoneInstructions"] > div > span,
[data-testid="stFileUploaderDropzoneInstructions"] > div > small,
[data-testid="stFileUploaderDropzoneInstructions"] span, [data-testid="stFileUploaderDropzoneInstructions"] small
  { display: none; }
[data-testid="stFileUploaderDropzoneInstructions"] > div::after
  { content: "将文件拖到此处，或点击“选择文件”按钮"; font-size: 0.9rem; }
[data-testid="stFileUploaderDropzone"] button { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button * { display: none; }
[data-testid="stFileUploaderDropzone"] button::after { content: "选择文件"; font-size: 0.9rem; }
[data-testid="InputInstructions"] { display: none; }
[data-testid="stStatusWidget"], [data-testid="stMainMenu"], #MainMenu { visibility: hidden; }
</style>"""
