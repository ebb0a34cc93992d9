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
    for variant in default cropped gatys; do
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
    results=("$out/outbox/$name"-{default,cropped,gatys}-"$stamp")
    [ -d "${results[1]}" ] || results[1]=${results[0]}
    echo "## $name"
    for result in "${results[@]}"; do
        python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sys.argv[2], "kept", r["styles"][0].get("kept"), "style_weight", r["parameters"]["style_weight"])' \
            "$result/report.json" "$(basename "$result")"
    done
    /usr/bin/python3 benchmarks/clean_pictures.py "${results[@]/%//result.png}"
    /usr/bin/python3 benchmarks/clean_pictures.py --check "${results[0]}/result.png" --content "examples/recipes/$name/$content" \
        --cropped "${results[1]}/result.png" || status=1
done
exit $status
