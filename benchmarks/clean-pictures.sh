#!/usr/bin/env bash
# Renders every job of examples/recipes through the daemon with the shipped configuration
# (etc/styled.toml: the `small` profile at 384 px), three ways each:
#   default  the job as it is: the default recipe, which trims the style's border itself;
#   cropped  the same, with the style's border cut by hand (style_trim = the counts below,
#            measured on the 512 px copies by the luma of each row and column); a style with
#            no border is its own hand-cropped render;
#   gatys    recipe = "gatys": the paper's objective, the style untouched;
# then measures each result with clean_pictures.py and checks the default against its content
# photograph and against the hand-cropped render.
#   benchmarks/clean-pictures.sh OUT [JOB...]     (JOB: names under examples/recipes; all by default)
# VARIANTS="default" renders only those of the three (the others are deterministic, so a change
# that touches only the default recipe need not render them again); the check then compares
# with the content photograph alone.
set -euo pipefail
cd "$(dirname "$0")/.."
repository=$PWD
out=$(realpath -m "${1:?usage: benchmarks/clean-pictures.sh OUT [JOB...]}")
shift
jobs=("$@")
[ ${#jobs[@]} -gt 0 ] || jobs=($(cd examples/recipes && ls -d */ | tr -d /))
scripts/install-deps python3-numpy python3-pil
swift build -c release --product styled
styled=$repository/.build/release/styled
"$styled" model fetch
# The border cut by hand, [top, right, bottom, left] in px: The Starry Night's scan is black for
# 5–6 px and then a light band of bare canvas to about 11 px on every side. The graffiti
# photograph has none.
declare -A hand=([starry_night.jpg]="[12, 12, 12, 12]")
mkdir -p "$out/inbox"
stamp=$(date +%Y%m%d-%H%M%S)
for name in "${jobs[@]}"; do
    style=$(sed -n 's/^style = "\(.*\)"/\1/p' "examples/recipes/$name/job.toml")
    for variant in ${VARIANTS:-default cropped gatys}; do
        [ "$variant" != cropped ] || [ -n "${hand[$style]:-}" ] || continue
        copy="$out/inbox/.copy-$name-$variant"
        cp -R "examples/recipes/$name" "$copy"
        case $variant in
            cropped) echo "style_trim = ${hand[$style]}" >> "$copy/job.toml" ;;
            gatys) echo 'recipe = "gatys"' >> "$copy/job.toml" ;;
        esac
        mv -T "$copy" "$out/inbox/$name-$variant-$stamp"
    done
done
(cd "$out" && "$styled" daemon --config "$repository/etc/styled.toml" --drain)
status=0
for name in "${jobs[@]}"; do
    content=$(sed -n 's/^content = "\(.*\)"/\1/p' "examples/recipes/$name/job.toml")
    style=$(sed -n 's/^style = "\(.*\)"/\1/p' "examples/recipes/$name/job.toml")
    default=$out/outbox/$name-default-$stamp cropped=$out/outbox/$name-cropped-$stamp
    [ -n "${hand[$style]:-}" ] || cropped=$default
    results=()
    for result in "$default" "$cropped" "$out/outbox/$name-gatys-$stamp"; do
        [ -d "$result" ] && [[ " ${results[*]} " != *" $result "* ]] && results+=("$result")
    done
    echo "## $name"
    for result in "${results[@]}"; do
        python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sys.argv[2], "kept", r["styles"][0].get("kept"), "style_weight", r["parameters"]["style_weight"])' \
            "$result/report.json" "$(basename "$result")"
    done
    /usr/bin/python3 benchmarks/clean_pictures.py "${results[@]/%//result.png}"
    against=()
    [ -d "$cropped" ] && against=(--cropped "$cropped/result.png")
    /usr/bin/python3 benchmarks/clean_pictures.py --check "$default/result.png" --content "examples/recipes/$name/$content" \
        "${against[@]}" || status=1
done
exit $status
