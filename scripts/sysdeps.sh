#!/usr/bin/env bash
# Install the Debian packages Manyi needs, once: gettext (msgfmt, to compile translations);
# pdf: the fonts the PDF report embeds (fonts-wqy-microhei for Chinese, a TrueType font
# reportlab can subset; fonts-dejavu-core for the symbols it lacks) and poppler-utils
# (pdftoppm, pdffonts, pdftotext: the tests rasterise the report and list its fonts);
# for the browser tests, chromium, chromium-driver and a CJK font (fonts-noto-cjk).
# Needs root (or sudo).
set -euo pipefail
want=()
for group in "$@"; do
  case "$group" in
    gettext) command -v msgfmt >/dev/null || want+=(gettext) ;;
    pdf)
      [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || want+=(fonts-wqy-microhei)
      [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || want+=(fonts-dejavu-core)
      command -v pdftoppm >/dev/null || want+=(poppler-utils) ;;
    chromium)
      [ -x /usr/bin/chromium ] || want+=(chromium chromium-driver)
      # Chinese text in screenshots and browser tests (boxes without a CJK font)
      [ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || want+=(fonts-noto-cjk) ;;
    *) echo "sysdeps: unknown group $group" >&2; exit 2 ;;
  esac
done
[ ${#want[@]} -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "Manyi needs these Debian packages: ${want[*]}; install them as root." >&2; exit 1
  fi
fi
echo "Installing Debian packages: ${want[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
